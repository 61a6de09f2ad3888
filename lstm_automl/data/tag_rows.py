"""Read tagged texts: a table with a text column and a tags column holding one tag per token,
separated by spaces (Ludwig's convention: text "Paris is big", tags "LOC O O").

The tokens are split as the tagger splits them (``tokens.py``: whitespace, or one per
character), and a row whose tag count differs from its token count is refused with the file,
its row and both counts, because a shifted tag would silently teach the wrong word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lstm_automl.config.schema import LabelDataConfig
from lstm_automl.data.table import read_text_table
from lstm_automl.data.tokens import WHITESPACE, tokenize
from lstm_automl.errors import DataError


@dataclass
class TagRows:
    """Every row's text, its tokens and their tags (as written)."""

    source: str
    texts: list[str]
    tokens: list[list[str]]
    tags: list[list[str]]
    tags_column: str


def tag_mode(tokens: str) -> str:
    """The ``tokens.py`` split a tagger uses for ``data.tokens``: whitespace for word, so that
    tokens keep their case and punctuation and line up with the tags; char stays char."""
    return "char" if tokens == "char" else WHITESPACE


def read_tag_rows(config: LabelDataConfig, base_dir: Path) -> TagRows:
    """The rows of a tagged-text table, each checked to have one tag per token."""
    path, table = read_text_table(config.source, base_dir)
    assert config.text is not None
    key = config.label or "label"
    texts = list(table.require(config.text, "data.text"))
    cells = list(table.require(key, "data.label"))
    if not texts:
        raise DataError(f"{path}: no rows; a tagger needs texts with their tags")
    mode = tag_mode(config.tokens)
    unit = "characters" if mode == "char" else "whitespace-separated tokens"
    tokens, tags = [], []
    for i, (text, cell) in enumerate(zip(texts, cells, strict=True)):
        row_tokens, row_tags = tokenize(text, mode), cell.split()
        if not row_tokens:
            raise DataError(f"{path}: row {table.line(i)}: data.text '{config.text}' is empty; "
                            f"every row needs a text with at least one token to tag")
        if len(row_tags) != len(row_tokens):
            raise DataError(f"{path}: row {table.line(i)}: {len(row_tokens)} {unit} in "
                            f"'{config.text}' but {len(row_tags)} tags in '{key}'; give one tag "
                            f"per token, separated by spaces")
        tokens.append(row_tokens)
        tags.append(row_tags)
    return TagRows(str(path), texts, tokens, tags, key)
