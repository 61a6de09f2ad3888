"""Raw strings in, one row per token out: how a tagger (text input, ``task: label``) serves.

Each text is split as in training (whitespace, tokens as written; or one token per character),
encoded with the saved vocabulary and tagged. A text longer than the model's ``max_length`` is
tagged in overlapping pieces of ``max_length`` tokens, each starting half a piece after the one
before (the last ends with the text); every token takes its tag from the piece that gives it
the most context on its nearer side, so no token is tagged at a cut that splits its phrase
when another piece reads it from the middle. The answer has one row per token, texts in the
order sent: ``case`` (the text's row, from 0), ``position`` (the token's, from 0), ``token``,
``label`` (its tag) and ``p_<tag>``. ``groupby("case")["label"].agg(" ".join)`` gives the tags
column of the training format back. NumPy and pandas only.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.data.tokens import Vocabulary, tokenize
from lstm_automl.errors import RawInputError
from lstm_automl.serving.text_input import request_texts


def piece_starts(length: int, steps: int) -> list[int]:
    """Where the pieces of a text of ``length`` tokens start: one piece when it fits, else
    every half piece, the last one ending with the text."""
    if length <= steps:
        return [0]
    return sorted({*range(0, length - steps, max(1, steps // 2)), length - steps})


def tag_input(spec: dict[str, Any], data: Any,
              ) -> tuple[np.ndarray, list[list[str]], list[tuple[int, int]]]:
    """(padded ids of every piece, each text's tokens, each piece's (text row, start))."""
    texts, _ = request_texts(spec, data)
    vocabulary = Vocabulary.from_dict(spec["text"])
    steps = int(spec["text"]["max_length"])
    tokens, pieces, owners = [], [], []
    for row, text in enumerate(texts):
        split = tokenize(text, vocabulary.mode)
        if not split:
            raise RawInputError(f"column '{spec['text']['column']}', data row {row + 1}: the "
                                f"text has no token to tag")
        tokens.append(split)
        for start in piece_starts(len(split), steps):  # joined back: the same split again
            pieces.append(" ".join(split[start:start + steps]) if vocabulary.mode != "char"
                          else "".join(split[start:start + steps]))
            owners.append((row, start))
    return vocabulary.encode(pieces, steps), tokens, owners


def _context(position: int, start: int, steps: int, length: int) -> int:
    """The context a piece gives a token on its nearer side; an edge of the text itself is
    no loss (there is nothing more to read there)."""
    before = length if start == 0 else position - start
    after = length if start + steps >= length else start + steps - 1 - position
    return min(before, after)


def tag_output(spec: dict[str, Any], predicted: np.ndarray, tokens: list[list[str]],
               owners: list[tuple[int, int]]) -> pd.DataFrame:
    """One row per token: case, position, token, label and p_<tag>."""
    predicted = np.asarray(predicted, dtype=np.float64)
    steps = int(spec["text"]["max_length"])
    per_text: list[list[tuple[int, np.ndarray]]] = [[] for _ in tokens]
    for piece, (row, start) in enumerate(owners):
        per_text[row].append((start, predicted[piece]))
    rows = []
    for row, split in enumerate(tokens):
        starts = [start for start, _ in per_text[row]]  # ascending, as tag_input made them
        for position in range(len(split)):
            first = bisect_left(starts, position - steps + 1)  # the pieces holding it: a few
            start, probs = max(
                per_text[row][first:bisect_right(starts, position)],
                key=lambda piece, p=position: _context(p, piece[0], steps, len(split)))
            rows.append(probs[position - start])
    probs = np.array(rows) if rows else np.zeros((0, len(spec["classes"])))
    classes = spec["classes"]
    frame = pd.DataFrame({
        "case": [row for row, split in enumerate(tokens) for _ in split],
        "position": [i for split in tokens for i in range(len(split))],
        "token": [t for split in tokens for t in split],
        "label": [classes[k] for k in probs.argmax(axis=1)],
    })
    for k, name in enumerate(classes):
        frame[f"p_{name}"] = probs[:, k]
    return frame
