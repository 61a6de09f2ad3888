"""The baselines a tagging user compares a network with (text input, ``task: label``).

* **Unigram tagger.** Every token gets the tag it carried most often in the fitted sentences
  (ties: the tag more frequent overall); a token never seen gets the overall majority tag. The
  classic first POS tagger: it knows words, not context.
* **Window tagger.** Logistic regression on the one-hot tokens at offsets ``-h .. +h`` around
  each token (with sentence-boundary markers; a token not seen in fitting has no column), ``h``
  and the penalty chosen on the validation sentences after fitting on the training ones, then
  refitted on both. Context of a
  fixed width, which is what a recurrent tagger has to beat.

Both read the tokens the network reads (after truncation to ``max_length``), so they are scored
on the same test tokens. scikit-learn, imported when called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

HALF_WIDTHS = (1, 2)
PENALTIES = (0.1, 1.0, 10.0)  # C of the logistic regression
MAX_TOKENS = 100_000  # training tokens used for the window tagger's fit (a seeded subsample)

Sentences = Sequence[Sequence[str]]


def unigram_tagger(tokens: Sentences, tags: Sequence[np.ndarray], test: Sentences,
                   classes: int) -> np.ndarray:
    """One tag index per test token (all test sentences concatenated)."""
    overall = np.bincount(np.concatenate(list(tags)), minlength=classes).astype(float)
    per_token: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(classes))
    for sentence, sentence_tags in zip(tokens, tags, strict=True):
        for token, tag in zip(sentence, sentence_tags, strict=True):
            per_token[token][tag] += 1.0
    tie_break = overall / (overall.sum() + 1.0)  # below one count: only decides ties
    best = {token: int(np.argmax(counts + tie_break)) for token, counts in per_token.items()}
    fallback = int(np.argmax(overall))
    return np.array([best.get(token, fallback) for sentence in test for token in sentence],
                    dtype=np.int64)


def _features(sentence: Sequence[str], half: int) -> list[list[str]]:
    """Per token, the strings ``offset=token`` of its window (``<s>``/``</s>`` past an end)."""
    padded = ["<s>"] * half + list(sentence) + ["</s>"] * half
    return [[f"{k - half}={padded[i + k]}" for k in range(2 * half + 1)]
            for i in range(len(sentence))]


def _rows(sentences: Sentences, half: int) -> list[dict[str, float]]:
    return [dict.fromkeys(row, 1.0) for sentence in sentences
            for row in _features(sentence, half)]


def _encoder(sentences: Sentences, half: int) -> object:
    """One-hot columns for the window features of ``sentences`` (unseen ones are dropped)."""
    from sklearn.feature_extraction import DictVectorizer  # defers scikit-learn

    return DictVectorizer().fit(_rows(sentences, half))


def _matrix(encoder: object, sentences: Sentences, half: int) -> object:
    return encoder.transform(_rows(sentences, half))  # type: ignore[attr-defined]


def _fit(x: object, y: np.ndarray, strength: float) -> object:
    from sklearn.linear_model import LogisticRegression  # defers scikit-learn

    model = LogisticRegression(C=strength, max_iter=500)
    model.fit(x, y)  # type: ignore[attr-defined]
    return model


def _limited(x: object, y: np.ndarray, seed: int) -> tuple[object, np.ndarray]:
    if len(y) <= MAX_TOKENS:
        return x, y
    keep = np.sort(np.random.default_rng(seed).choice(len(y), MAX_TOKENS, replace=False))
    return x[keep], y[keep]  # type: ignore[index]


def window_tagger(train: Sentences, train_tags: Sequence[np.ndarray], validation: Sentences,
                  validation_tags: Sequence[np.ndarray], test: Sentences, classes: int,
                  seed: int = 0) -> tuple[np.ndarray, str]:
    """(one tag index per test token, a label naming the chosen window and penalty)."""
    y_train = np.concatenate(list(train_tags))
    y_val = np.concatenate(list(validation_tags))
    best, best_score = (HALF_WIDTHS[0], PENALTIES[0]), -1.0
    for half in HALF_WIDTHS:
        encoder = _encoder(train, half)
        x_train, y_fit = _limited(_matrix(encoder, train, half), y_train, seed)
        if len(np.unique(y_fit)) < 2:
            continue
        x_val = _matrix(encoder, validation, half)
        for strength in PENALTIES:
            predicted = _fit(x_train, y_fit, strength).predict(x_val)  # type: ignore[attr-defined]
            score = float(np.mean(predicted == y_val))
            if score > best_score:
                best, best_score = (half, strength), score
    half, strength = best
    encoder = _encoder([*train, *validation], half)
    x_all, y_all = _limited(_matrix(encoder, [*train, *validation], half),
                            np.concatenate([y_train, y_val]), seed)
    if len(np.unique(y_all)) < 2:  # one tag only: nothing to fit, it is the answer
        count = sum(len(s) for s in test)
        return np.full(count, int(y_all[0]), dtype=np.int64), "the only tag seen"
    model = _fit(x_all, y_all, strength)
    x_test = _matrix(encoder, test, half)
    predicted = np.asarray(model.predict(x_test), dtype=np.int64)  # type: ignore[attr-defined]
    return predicted, (f"logistic regression on the tokens at -{half}..+{half} around each "
                       f"token, C {strength:g} by validation")


def tag_counts(tags: Sequence[np.ndarray], classes: int) -> np.ndarray:
    """How often each tag occurs in ``tags`` (one array of tag indices per sentence)."""
    if not tags:
        return np.zeros(classes, dtype=np.int64)
    return np.bincount(np.concatenate(list(tags)), minlength=classes)

