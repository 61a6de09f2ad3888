"""Raw strings in, one row per token out: how a tagger (text input, ``task: label``) serves.

Each text is split as in training (whitespace, tokens as written; or one token per character),
encoded with the saved vocabulary and tagged. A text longer than the model's ``max_length`` is
tagged in consecutive pieces of ``max_length`` tokens, so every token gets a tag (each piece is
read without the others' context). The answer has one row per token, texts in the order sent:
``case`` (the text's row, from 0), ``position`` (the token's, from 0), ``token``, ``label`` (its
tag) and ``p_<tag>``. ``groupby("case")["label"].agg(" ".join)`` gives the tags column of the
training format back. NumPy and pandas only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_automl.data.tokens import Vocabulary, tokenize
from lstm_automl.errors import RawInputError
from lstm_automl.serving.text_input import request_texts


def tag_input(spec: dict[str, Any], data: Any,
              ) -> tuple[np.ndarray, list[list[str]], list[int]]:
    """(padded ids of every piece, each text's tokens, each piece's text row)."""
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
        for start in range(0, len(split), steps):  # joined back: the same split again
            pieces.append(" ".join(split[start:start + steps]) if vocabulary.mode != "char"
                          else "".join(split[start:start + steps]))
            owners.append(row)
    return vocabulary.encode(pieces, steps), tokens, owners


def tag_output(spec: dict[str, Any], predicted: np.ndarray, tokens: list[list[str]],
               owners: list[int]) -> pd.DataFrame:
    """One row per token: case, position, token, label and p_<tag>."""
    predicted = np.asarray(predicted, dtype=np.float64)
    per_text: list[list[np.ndarray]] = [[] for _ in tokens]
    for piece, row in enumerate(owners):
        per_text[row].append(predicted[piece])
    probs = np.concatenate([np.concatenate(parts)[:len(tokens[row])]
                            for row, parts in enumerate(per_text)]) if tokens else \
        np.zeros((0, len(spec["classes"])))
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
