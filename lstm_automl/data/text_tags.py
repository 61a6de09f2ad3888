"""Sequence tagging: a text input with ``task: label`` (one tag per token, a POS or NER tagger).

Rows are split as ``task: label`` cases are (seeded, whole rows); the vocabulary and the default
length are learned on the training texts only. Every text becomes padded token ids (the model
embeds them and masks the padding) and its tags a row of class ids with ``PAD_LABEL`` after its
end, so padded positions never count in the loss, the metrics or the baselines. Tokens past
``max_length`` are cut off (by default it is the longest training text, at most
``DEFAULT_LENGTH_CAP``). Baselines: the majority tag, the unigram tagger and a window tagger
(``baselines/taggers.py``), on the same test tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.baselines.taggers import tag_counts, unigram_tagger, window_tagger
from lstm_automl.config.schema import DEFAULT_LENGTH_CAP, LabelDataConfig
from lstm_automl.data.base import PAD_LABEL, SPLITS, Baselines, ModelShape, Windows
from lstm_automl.data.metrics import classification_metrics, one_hot_probabilities
from lstm_automl.data.sequences import sorted_classes, split_indices
from lstm_automl.data.step_labels import StepLabelData
from lstm_automl.data.tag_rows import read_tag_rows, tag_mode
from lstm_automl.data.tokens import Vocabulary
from lstm_automl.errors import DataError


@dataclass
class TextTagData(StepLabelData):
    """Prepared tagged texts: ``splits`` hold (n, max_length, 1) token ids and (n, max_length)
    tag ids; ``tokens``/``raw_labels`` each text's kept tokens and tags, ``texts`` the raw
    strings."""

    texts: dict[str, list[str]] = field(default_factory=dict, repr=False)
    tokens: dict[str, list[list[str]]] = field(default_factory=dict, repr=False)
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary("whitespace", ()))
    text_column: str = "text"
    target_scaler: None = None  # serving's text spec reads it (a regress target only)

    def model_shape(self, refit: bool = False) -> ModelShape:
        return replace(super().model_shape(refit), vocabulary=self.vocabulary.size)

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """Majority tag, unigram tagger and window tagger, fitted on the training and
        validation texts (the window's choices on validation), scored on the test tokens."""
        classes = len(self.classes)
        labels = self.raw_labels
        pool_tokens = self.tokens["train"] + self.tokens["validation"]
        pool_tags = labels["train"] + labels["validation"]
        prior = (tag_counts(pool_tags, classes) + 1e-9) / sum(len(t) for t in pool_tags)
        test = np.concatenate(labels["test"])
        unigram = unigram_tagger(pool_tokens, pool_tags, self.tokens["test"], classes)
        window, window_label = window_tagger(
            self.tokens["train"], labels["train"], self.tokens["validation"],
            labels["validation"], self.tokens["test"], classes, self.seed)
        majority = self.classes[int(prior.argmax())]
        return Baselines(
            {"majority": classification_metrics(test, np.tile(prior, (len(test), 1))),
             "unigram": classification_metrics(test, one_hot_probabilities(unigram, classes)),
             "window": classification_metrics(test, one_hot_probabilities(window, classes))},
            {"majority": f"most frequent tag for every token ({majority})",
             "unigram": f"most frequent tag of each token in training, unknown tokens "
                        f"{majority}",
             "window": window_label})

    def prediction_table(self, predicted: np.ndarray, forecast: np.ndarray | None = None,
                         ) -> tuple[list[str], list[list[Any]]]:
        """The per-step table of ``task: label`` with each row's token beside its step."""
        header, rows = super().prediction_table(predicted, forecast)
        tokens = iter(token for text in self.tokens["test"] for token in text)
        return ([*header[:2], "token", *header[2:]],
                [[*row[:2], next(tokens), *row[2:]] for row in rows])

    def _counts(self, split: str) -> np.ndarray:
        return tag_counts(self.raw_labels[split], len(self.classes))

    def preview(self, count: int = 3) -> list[str]:
        lines = []
        for split in SPLITS:
            counts = ", ".join(f"{c}: {int(n)}" for c, n in zip(
                self.classes, self._counts(split), strict=True))
            lines.append(f"{split}: {len(self.texts[split])} texts, "
                         f"{sum(len(t) for t in self.tokens[split])} tokens; tags {counts}")
        lines.append(f"vocabulary: {len(self.vocabulary.tokens)} {self._unit()} from the "
                     f"training texts; {self.steps} tokens per text")
        for i, tokens in enumerate(self.tokens["train"][:count]):
            pairs = " ".join(f"{t}/{self.classes[k]}" for t, k in
                             zip(tokens[:6], self.raw_labels["train"][i][:6], strict=True))
            more = " ..." if len(tokens) > 6 else ""
            lines.append(f"train text {i}: {pairs}{more}")
        return lines

    def _unit(self) -> str:
        return "char tokens" if self.vocabulary.mode == "char" else \
            "word tokens (split on whitespace, as written)"

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        return (f"{self.source}; texts {sizes} ({self._unit()}, vocabulary "
                f"{len(self.vocabulary.tokens)}, {self.steps} per text, padded and masked, "
                f"{len(self.classes)} tags per token)")

    def summary(self) -> dict[str, object]:
        facts = super().summary()
        facts.update(text_column=self.text_column, tokens=self.vocabulary.mode,
                     vocabulary=len(self.vocabulary.tokens), max_length=self.steps)
        for name in SPLITS:
            facts.pop(f"{name}_sequences", None)
            facts[f"{name}_texts"] = len(self.texts[name])
        return facts


def _padded(tags: list[np.ndarray], steps: int) -> np.ndarray:
    y = np.full((len(tags), steps), PAD_LABEL, dtype=np.int32)
    for row, row_tags in enumerate(tags):
        y[row, :len(row_tags)] = row_tags
    return y


def prepare_text_tags(config: LabelDataConfig, base_dir: Path, seed: int) -> TextTagData:
    """Load, check, split and encode a table of tagged texts; the vocabulary and the default
    length see the training rows only."""
    rows = read_tag_rows(config, base_dir)
    classes = sorted_classes({t for row in rows.tags for t in row})
    if len(classes) < 2:
        raise DataError(f"{rows.source}: only one tag ('{classes[0]}') in '{rows.tags_column}'; "
                        f"task: label needs two")
    index = {name: i for i, name in enumerate(classes)}
    rng = np.random.default_rng(seed)
    n = len(rows.texts)
    pool, test = split_indices(None, n, config.split.test or 0.15, rng, "test", rows.source)
    keep, val = split_indices(None, len(pool), config.split.validation, rng, "validation",
                              rows.source)
    picked = {"train": pool[keep], "validation": pool[val], "test": test}
    train_tokens = [rows.tokens[i] for i in picked["train"]]
    vocabulary = Vocabulary.fit([rows.texts[i] for i in picked["train"]], tag_mode(config.tokens))
    longest = max(len(t) for t in train_tokens)
    steps = config.max_length or max(1, min(longest, DEFAULT_LENGTH_CAP))
    texts, tokens, tags, splits = {}, {}, {}, {}
    for name in SPLITS:
        texts[name] = [rows.texts[i] for i in picked[name]]
        tokens[name] = [rows.tokens[i][:steps] for i in picked[name]]
        tags[name] = [np.array([index[t] for t in rows.tags[i][:steps]], dtype=np.int64)
                      for i in picked[name]]
        ids = vocabulary.encode(texts[name], steps)
        splits[name] = Windows(ids, _padded(tags[name], steps), picked[name])
    lengths = [len(t) for t in rows.tokens]
    return TextTagData(
        source=rows.source, splits=splits, steps=steps, n_features=1,
        channels=[str(config.text)], classes=classes, raw={name: [] for name in SPLITS},
        raw_labels=tags, lengths=(min(lengths), max(lengths)), masked=True,
        label_name=rows.tags_column, seed=seed, texts=texts, tokens=tokens,
        vocabulary=vocabulary, text_column=str(config.text),
    )

