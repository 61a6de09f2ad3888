"""Text classification and regression: one text per table row, with its label or target.

The rows are split as other sequences are (stratified for classes, seeded); the vocabulary and
the default length are learned on the training texts only, then every split becomes padded token
ids (``data/tokens.py``) that the model embeds. Baselines: the majority class (or the mean) and a
linear model on a bag of words, both on the same test rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lstm_automl.baselines.bag_of_words import bag_of_words
from lstm_automl.config.schema import (
    DEFAULT_LENGTH_CAP,
    ClassifyDataConfig,
    IntChoice,
    IntRange,
)
from lstm_automl.data.base import SPLITS, Baselines, ModelShape, Windows
from lstm_automl.data.cases import CaseSet, SequenceConfig
from lstm_automl.data.metrics import classification_metrics, regression_metrics
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.sequences import (
    SequenceData,
    encode_labels,
    numeric_targets,
    split_indices,
)
from lstm_automl.data.table import read_text_table
from lstm_automl.data.tokens import KMER, Vocabulary, default_max_length


@dataclass
class TextData(SequenceData):
    """Prepared texts: ``splits`` hold (n, max_length, 1) token ids, ``texts`` the raw strings."""

    texts: dict[str, list[str]] = field(default_factory=dict, repr=False)
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary("word", ()))
    text_column: str = "text"

    def model_shape(self, refit: bool = False) -> ModelShape:
        return replace(super().model_shape(refit), vocabulary=self.vocabulary.size)

    def _compute_baselines(self, budget_s: float) -> Baselines:
        """Majority class (or the mean target) and a linear model on tf-idf of the same tokens,
        chosen on validation, refitted on training + validation, scored on the test rows."""
        pool = np.concatenate([self._labels("train"), self._labels("validation")])
        test = self._labels("test")
        classify = self.task == "classify"
        analyzer = self.vocabulary.split
        predicted, label = bag_of_words(
            self.texts["train"], self._labels("train"), self.texts["validation"],
            self._labels("validation"), self.texts["test"], analyzer, classify, len(self.classes))
        if not classify:
            mean = float(pool.astype(float).mean())
            return Baselines(
                {"mean": regression_metrics(test.astype(float), np.full(len(test), mean)),
                 "bag_of_words": regression_metrics(test.astype(float), predicted)},
                {"mean": "mean of the training targets", "bag_of_words": label})
        counts = np.bincount(pool, minlength=len(self.classes)).astype(float)
        prior = (counts + 1e-9) / counts.sum()
        return Baselines(
            {"majority": classification_metrics(test, np.tile(prior, (len(test), 1))),
             "bag_of_words": classification_metrics(test, predicted)},
            {"majority": "most frequent class", "bag_of_words": label})

    def preview(self, count: int = 3) -> list[str]:
        lines = super().preview(0)
        lines.append(f"vocabulary: {len(self.vocabulary.tokens)} {self.vocabulary.unit} tokens "
                     f"from the training texts; {self.steps} tokens per text")
        for i, text in enumerate(self.texts["train"][:count]):
            label = self._labels("train")[i]
            shown = self.classes[int(label)] if self.task == "classify" else label
            lines.append(f"train text {i}: {text[:60]!r} -> {shown}")
        return lines

    def describe(self) -> str:
        sizes = " / ".join(f"{name} {len(w.x)}" for name, w in self.splits.items())
        kind = f"{len(self.classes)} classes" if self.task == "classify" else "regression"
        return (f"{self.source}; texts {sizes} ({self.vocabulary.unit} tokens, vocabulary "
                f"{len(self.vocabulary.tokens)}, {self.steps} per text, padded and masked, "
                f"{kind})")

    def summary(self) -> dict[str, object]:
        facts = super().summary()
        facts.update(text_column=self.text_column, tokens=self.vocabulary.mode,
                     vocabulary=len(self.vocabulary.tokens), max_length=self.steps)
        if self.vocabulary.mode == KMER:
            facts.update(kmer=self.vocabulary.k)
        return facts


def _texts(config: SequenceConfig, base_dir: Path) -> tuple[str, list[str], np.ndarray]:
    path, table = read_text_table(config.source, base_dir)
    assert config.text is not None
    key = (config.label or "label") if isinstance(config, ClassifyDataConfig) \
        else (config.target or "target")
    texts = list(table.require(config.text, "data.text"))
    labels = np.array(list(table.require(key, "data.label / data.target")))
    return str(path), texts, labels


def prepare_text(config: SequenceConfig, base_dir: Path, seed: int) -> TextData:
    """Load, split and tokenize a table of texts; the vocabulary sees the training rows only."""
    source, texts, raw_labels = _texts(config, base_dir)
    classify = isinstance(config, ClassifyDataConfig)
    if classify:
        classes, labels, _ = encode_labels(CaseSet(source, [], raw_labels, []), source)
    else:
        classes, labels = [], numeric_targets(raw_labels, source)
    rng = np.random.default_rng(seed)
    strata = labels if classify else None
    pool, test = split_indices(strata, len(texts), config.split.test or 0.15, rng, "test", source)
    keep, val = split_indices(strata[pool] if classify else None, len(pool),
                              config.split.validation, rng, "validation", source)
    index = {"train": pool[keep], "validation": pool[val], "test": test}
    split_texts = {name: [texts[i] for i in rows] for name, rows in index.items()}
    split_labels = {name: labels[rows] for name, rows in index.items()}
    assert not isinstance(config.kmer, (IntChoice, IntRange)), "a data variant's k is one value"
    vocabulary = Vocabulary.fit(split_texts["train"], config.tokens, config.kmer or 1)
    lengths = [len(vocabulary.split(t)) for t in split_texts["train"]]
    steps = config.max_length or default_max_length(lengths, DEFAULT_LENGTH_CAP)
    target_scaler = None
    if not classify:
        assert isinstance(config.scaling, str), "not searched with a text input"
        target_scaler = Scaler.fit(config.scaling, split_labels["train"].reshape(-1, 1))
    splits = {}
    for name in SPLITS:
        y: np.ndarray = split_labels[name]
        if target_scaler is not None:
            y = target_scaler.transform(y.reshape(-1, 1)).astype(np.float32)
        elif len(classes) == 2:
            y = y.reshape(-1, 1).astype(np.float32)
        splits[name] = Windows(vocabulary.encode(split_texts[name], steps), y, index[name])
    return TextData(
        task=config.task, source=source, splits=splits, steps=steps, n_features=1,
        channels=[str(config.text)], classes=classes, raw={name: [] for name in SPLITS},
        raw_labels=split_labels, target_scaler=target_scaler,
        class_weight=getattr(config, "class_weight", "none"),
        lengths=(min(lengths, default=0), max(lengths, default=0)), masked=True,
        label_name=(config.label if classify else config.target) or
        ("label" if classify else "target"),
        texts=split_texts, vocabulary=vocabulary, text_column=str(config.text),
    )
