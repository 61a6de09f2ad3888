"""Texts to token ids: a vocabulary learned on the training texts only, no pretrained anything.

Word mode lower-cases and splits on anything that is not a letter; char mode takes every
character as it is; whitespace mode (``task: label``, one tag per token) splits on whitespace
only and keeps each token as written, case and punctuation included, so that the tokens line up
one to one with the tags of the row; kmer mode takes every overlapping run of ``k`` characters
as written (``GAUC``, k 3: ``GAU``, ``AUC``), and a text shorter than ``k`` is one token, itself
(a probe or name too short for a whole k-mer still says what it is). Id 0 pads, id 1 stands for
every token the training texts never had (and, inside the model, for those past a trial's
``vocab_size``); ids from 2 go to the training tokens, most frequent first, so that "the N most
frequent" is simply "ids below N + 2".
Standard library and NumPy only: the served model applies the same code to raw strings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PAD_ID = 0
OOV_ID = 1
FIRST_ID = 2  # the most frequent training token
WHITESPACE = "whitespace"  # the tagging split of ``tokens: word`` (data/text_tags.py)
KMER = "kmer"  # overlapping runs of k characters (``data.tokens: kmer``, ``data.kmer: k``)
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters, in any script


def tokenize(text: str, mode: str, k: int = 1) -> list[str]:
    """``text`` as the tokens the vocabulary counts: lower-cased words, characters, the
    whitespace-separated tokens as written, or (``kmer``) its overlapping ``k``-mers."""
    if mode == "char":
        return list(text)
    if mode == KMER:
        return kmers(text, k)
    if mode == WHITESPACE:
        return text.split()
    return _WORD.findall(text.lower())


def kmers(text: str, k: int) -> list[str]:
    """Every run of ``k`` consecutive characters, one starting at each position that has ``k``
    left (``len(text) - k + 1`` of them); a non-empty text shorter than ``k`` is one token."""
    if k < 1:
        raise ValueError(f"k-mers need k >= 1 (got {k})")
    if len(text) < k:
        return [text] if text else []
    return [text[i:i + k] for i in range(len(text) - k + 1)]


def default_max_length(lengths: Iterable[int], cap: int) -> int:
    """Tokens kept per text when ``data.max_length`` is not set: the 95th percentile of the
    training texts' lengths (most texts whole, a few long ones cut), at least 1, at most
    ``cap`` (a recurrent layer steps through every position)."""
    values = list(lengths)
    if not values:
        return 1
    return int(min(cap, max(1, math.ceil(float(np.percentile(values, 95))))))


@dataclass(frozen=True)
class Vocabulary:
    """The training tokens by falling frequency (ties: first seen), and how texts are split
    (``k``: the k-mer length of ``kmer`` mode, unused by the others)."""

    mode: str
    tokens: tuple[str, ...]
    k: int = 1

    @classmethod
    def fit(cls, texts: Iterable[str], mode: str, k: int = 1) -> Vocabulary:
        """Learn the vocabulary of ``texts`` (pass the training split only)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(tokenize(text, mode, k))
        ranked = sorted(counts.items(), key=lambda item: -item[1])  # stable: first seen first
        return cls(mode, tuple(token for token, _ in ranked), k)

    def split(self, text: str) -> list[str]:
        """``text`` as this vocabulary's tokens (the bag-of-words baseline reads the same)."""
        return tokenize(text, self.mode, self.k)

    @property
    def unit(self) -> str:
        """What a token is, for summaries: ``word``, ``char`` or ``3-mer``."""
        return f"{self.k}-mer" if self.mode == KMER else self.mode

    @property
    def size(self) -> int:
        """Ids in use, padding and out-of-vocabulary included (the embedding's input_dim)."""
        return len(self.tokens) + FIRST_ID

    def _index(self) -> dict[str, int]:
        index = self.__dict__.get("_ids")
        if index is None:
            index = {token: i + FIRST_ID for i, token in enumerate(self.tokens)}
            object.__setattr__(self, "_ids", index)
        return index

    def ids(self, text: str) -> list[int]:
        """``text``'s token ids, unknown tokens as ``OOV_ID``."""
        index = self._index()
        return [index.get(token, OOV_ID) for token in self.split(text)]

    def encode(self, texts: Sequence[str], length: int) -> np.ndarray:
        """(texts, length, 1) float32 ids: the first ``length`` tokens of each text, padded with
        ``PAD_ID`` after its end (the network masks the padding). A text without a single token
        becomes one ``OOV_ID``, so that no row is all padding."""
        out = np.full((len(texts), length, 1), PAD_ID, dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.ids(text)[:length] or [OOV_ID]
            out[row, :len(ids), 0] = ids
        return out

    def to_dict(self) -> dict[str, Any]:
        """What the served model reads back (``k`` only in kmer mode: older specs lack it)."""
        saved: dict[str, Any] = {"mode": self.mode, "tokens": list(self.tokens)}
        if self.mode == KMER:
            saved["k"] = self.k
        return saved

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> Vocabulary:
        return cls(str(saved["mode"]), tuple(str(t) for t in saved["tokens"]),
                   int(saved.get("k", 1)))
