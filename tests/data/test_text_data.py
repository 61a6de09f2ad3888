"""Texts to token ids (``data/tokens.py``) and a text table to prepared data (``data/text.py``):
the vocabulary sees the training rows only, unknown tokens get the out-of-vocabulary id, and
the baselines (majority or mean, bag of words) are scored on the same test rows. NumPy and
scikit-learn only: no model is trained here."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lstm_automl.config.schema import ClassifyDataConfig, RegressDataConfig
from lstm_automl.data.text import prepare_text
from lstm_automl.data.tokens import (
    OOV_ID,
    PAD_ID,
    Vocabulary,
    default_max_length,
    kmers,
    tokenize,
)
from lstm_automl.errors import DataError


def test_word_mode_lower_cases_and_splits_on_anything_but_letters():
    assert tokenize("Great film -- 10/10, LOVED it!", "word") == ["great", "film", "loved", "it"]
    assert tokenize("Ça va, naïve café", "word") == ["ça", "va", "naïve", "café"]


def test_char_mode_keeps_every_character_as_it_is():
    assert tokenize("Ab c", "char") == ["A", "b", " ", "c"]


def test_kmer_mode_takes_every_overlapping_run_of_k_characters():
    assert tokenize("GAUCG", "kmer", 3) == ["GAU", "AUC", "UCG"]  # len - k + 1 of them
    assert kmers("GAUCG", 1) == list("GAUCG") and kmers("GAUCG", 5) == ["GAUCG"]
    assert kmers("Ab c", 2) == ["Ab", "b ", " c"]  # case and spaces as written
    assert kmers("GA", 3) == ["GA"] and kmers("", 3) == []  # shorter than k: itself, or none
    with pytest.raises(ValueError, match="k >= 1"):
        kmers("GAU", 0)


def test_a_kmer_vocabulary_counts_kmers_and_keeps_k_through_its_saved_form():
    vocabulary = Vocabulary.fit(["GAUGA", "AUGA"], "kmer", 3)
    assert vocabulary.tokens == ("AUG", "UGA", "GAU")  # 2, 2, 1 times; ties: first seen
    assert vocabulary.ids("GAUGG") == [4, 2, OOV_ID] and vocabulary.unit == "3-mer"
    saved = vocabulary.to_dict()
    assert saved["k"] == 3 and Vocabulary.from_dict(saved) == vocabulary
    assert "k" not in Vocabulary.fit(["ab"], "char").to_dict()  # as saved before k-mers


def test_ids_follow_frequency_and_unknown_tokens_are_out_of_vocabulary():
    vocabulary = Vocabulary.fit(["b a b", "c b a"], "word")
    assert vocabulary.tokens == ("b", "a", "c")  # 3, 2, 1 times
    assert vocabulary.size == 5  # padding and out-of-vocabulary too
    assert vocabulary.ids("a b zebra c") == [3, 2, OOV_ID, 4]


def test_encode_pads_after_the_end_truncates_and_never_leaves_a_row_empty():
    vocabulary = Vocabulary.fit(["a b c d"], "word")
    x = vocabulary.encode(["a b", "a b c d", "", "!!"], 3)
    assert x.shape == (4, 3, 1) and x.dtype == np.float32
    assert x[0, :, 0].tolist() == [2, 3, PAD_ID]
    assert x[1, :, 0].tolist() == [2, 3, 4]  # the first tokens are kept
    assert x[2, :, 0].tolist() == [OOV_ID, PAD_ID, PAD_ID]
    assert x[3, :, 0].tolist() == [OOV_ID, PAD_ID, PAD_ID]


def test_the_vocabulary_round_trips_through_its_saved_form():
    vocabulary = Vocabulary.fit(["x y y"], "char")
    again = Vocabulary.from_dict(vocabulary.to_dict())
    assert again == vocabulary and again.ids("xy?") == vocabulary.ids("xy?")


def test_default_length_is_the_95th_percentile_capped():
    assert default_max_length(range(1, 101), cap=400) == 96
    assert default_max_length([1000] * 5, cap=400) == 400
    assert default_max_length([], cap=400) == 1


def _own_word(i: int) -> str:
    """A word of letters only (word mode drops digits) that no other row has."""
    return "own" + chr(97 + i // 26) + chr(97 + i % 26)


def _reviews(folder: Path, rows: int = 80) -> Path:
    """Reviews whose label is carried by one word; each row also has its own unique word."""
    path = folder / "reviews.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "label", "score"])
        for i in range(rows):
            good = i % 2 == 0
            word = "wonderful" if good else "dreadful"
            writer.writerow([f"A {word} film, {_own_word(i)} scene", "pos" if good else "neg",
                             4.0 + i % 3 if good else 1.0 + i % 3])
    return path


def _classify(path: Path, **extra: object) -> ClassifyDataConfig:
    return ClassifyDataConfig(source=str(path), task="classify", text="review", **extra)


def test_the_vocabulary_is_learned_on_the_training_rows_only(tmp_path: Path):
    data = prepare_text(_classify(_reviews(tmp_path)), tmp_path, seed=3)
    tokens = set(data.vocabulary.tokens)
    for split in ("train", "validation", "test"):
        for case in data.splits[split].index:
            assert (_own_word(int(case)) in tokens) == (split == "train"), (split, case)
    # a test row's own word is out of vocabulary in its ids
    test_row = data.splits["test"].x[0, :, 0]
    assert OOV_ID in test_row.tolist()
    sizes = [len(data.splits[s].x) for s in ("train", "validation", "test")]
    assert sum(sizes) == 80 and min(sizes) > 0
    assert data.model_shape().vocabulary == data.vocabulary.size
    assert data.model_shape().masked


def test_the_default_length_comes_from_the_training_texts(tmp_path: Path):
    data = prepare_text(_classify(_reviews(tmp_path)), tmp_path, seed=3)
    assert data.steps == 5 and data.splits["train"].x.shape[1:] == (5, 1)
    short = prepare_text(_classify(_reviews(tmp_path), max_length=2), tmp_path, seed=3)
    assert short.steps == 2


def test_baselines_are_majority_and_a_bag_of_words_on_the_test_rows(tmp_path: Path):
    data = prepare_text(_classify(_reviews(tmp_path)), tmp_path, seed=3)
    report = data.baseline_report()
    assert set(report.metrics) == {"majority", "bag_of_words"}
    assert report.metrics["bag_of_words"]["accuracy"] == 1.0  # one word tells the label
    assert report.metrics["majority"]["accuracy"] <= 0.6
    assert "tf-idf" in report.labels["bag_of_words"]


def test_regression_targets_get_the_mean_and_a_ridge_on_words(tmp_path: Path):
    config = RegressDataConfig(source=str(_reviews(tmp_path)), task="regress", text="review",
                               target="score")
    data = prepare_text(config, tmp_path, seed=3)
    assert data.target_scaler is not None
    metrics = data.baseline_report().metrics
    assert set(metrics) == {"mean", "bag_of_words"}
    assert metrics["bag_of_words"]["rmse"] < metrics["mean"]["rmse"]


def test_kmer_texts_are_prepared_with_a_kmer_vocabulary_and_baseline(tmp_path: Path):
    data = prepare_text(_classify(_reviews(tmp_path), tokens="kmer", kmer=4), tmp_path, seed=3)
    assert data.vocabulary.mode == "kmer" and data.vocabulary.k == 4
    assert {len(token) for token in data.vocabulary.tokens} == {4}
    first = data.texts["train"][0]
    steps = min(len(first) - 3, data.steps)
    assert data.splits["train"].x[0, :steps, 0].tolist() == \
        data.vocabulary.ids(first)[:steps]
    assert data.summary()["kmer"] == 4 and "4-mer tokens" in data.describe()
    assert data.baseline_report().metrics["bag_of_words"]["accuracy"] == 1.0  # "wond", "drea"


def test_a_missing_text_column_is_a_data_error(tmp_path: Path):
    config = ClassifyDataConfig(source=str(_reviews(tmp_path)), task="classify", text="body")
    with pytest.raises(DataError, match="column 'body' not found"):
        prepare_text(config, tmp_path, seed=3)
