"""Tagged texts (text input, ``task: label``): tokens split so that they line up with the tags,
rows whose counts differ refused in one line, padding never counted, the unigram and window
taggers on hand-made sets with known answers, and the served model's input and output without
a network. NumPy and scikit-learn only: no model is trained here."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write_sweep
from lstm_automl.baselines.taggers import unigram_tagger, window_tagger
from lstm_automl.cli import main
from lstm_automl.config.schema import LabelDataConfig
from lstm_automl.data.base import PAD_LABEL
from lstm_automl.data.tag_sentences import tagged_sentences
from lstm_automl.data.text_tags import prepare_text_tags
from lstm_automl.data.tokens import OOV_ID, PAD_ID, tokenize
from lstm_automl.errors import DataError, RawInputError
from lstm_automl.serving.text_tagging import piece_starts, tag_input, tag_output

REPO = Path(__file__).resolve().parents[2]


def _table(folder: Path, rows: list[tuple[str, str]], name: str = "t.csv") -> Path:
    path = folder / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence", "tags"])
        writer.writerows(rows)
    return path


def _config(path: Path, **extra: object) -> LabelDataConfig:
    return LabelDataConfig(source=str(path), task="label", text="sentence", label="tags",
                           split={"validation": 0.2, "test": 0.2}, **extra)


def _sentences(count: int = 40) -> list[tuple[str, str]]:
    rows = []
    for i in range(count):
        if i % 2:
            rows.append((f"They {'so ' * (i % 3)}book it .", "PRON " + "ADV " * (i % 3) +
                         "VERB PRON PUNCT"))
        else:
            rows.append((f"The {'so ' * (i % 3)}book , Paris .", "DET " + "ADV " * (i % 3) +
                         "NOUN PUNCT LOC PUNCT"))
    return rows


def test_tagging_splits_on_whitespace_only_and_keeps_case_and_punctuation():
    assert tokenize("Paris, is  BIG!\tok", "whitespace") == ["Paris,", "is", "BIG!", "ok"]
    assert tokenize("  ", "whitespace") == []
    assert tokenize("Ab c", "char") == ["A", "b", " ", "c"]  # char: a tag per character
    # classify/regress keep their own split
    assert tokenize("Paris, is BIG!", "word") == ["paris", "is", "big"]


def test_tokens_and_tags_line_up_and_padding_is_never_a_tag(tmp_path: Path):
    data = prepare_text_tags(_config(_table(tmp_path, _sentences())), tmp_path, seed=1)
    assert data.classes == ["ADV", "DET", "LOC", "NOUN", "PRON", "PUNCT", "VERB"]
    assert data.steps == 7  # the longest training text: "The so so book , Paris ."
    assert data.vocabulary.mode == "whitespace"
    assert {"The", "They", ",", "Paris"} <= set(data.vocabulary.tokens)  # as written
    for name in ("train", "validation", "test"):
        x, y = data.splits[name].x, data.splits[name].y
        assert x.shape[1:] == (7, 1) and y.shape[1:] == (7,)
        for row, tokens in enumerate(data.tokens[name]):
            real = len(tokens)
            assert (x[row, real:, 0] == PAD_ID).all() and (y[row, real:] == PAD_LABEL).all()
            assert (x[row, :real, 0] != PAD_ID).all() and (y[row, :real] >= 0).all()
            tags = [data.classes[k] for k in y[row, :real]]
            source_row = int(data.splits[name].index[row])
            assert tags == _sentences()[source_row][1].split()
    assert data.model_shape().vocabulary == data.vocabulary.size
    assert data.model_shape().task == "label" and data.model_shape().masked


def test_max_length_cuts_tokens_and_their_tags_together(tmp_path: Path):
    data = prepare_text_tags(_config(_table(tmp_path, _sentences()), max_length=3), tmp_path, 1)
    assert data.steps == 3
    for name in ("train", "test"):
        assert all(len(t) <= 3 for t in data.tokens[name])
        assert all(len(t) == len(k) for t, k in zip(data.tokens[name], data.raw_labels[name],
                                                    strict=True))
        assert (data.splits[name].y >= 0).all()  # every text has 4+ tokens: none padded


def test_char_tokens_take_one_tag_per_character(tmp_path: Path):
    rows = [("ab ba", "B I O B I"), ("a b", "B O B")] * 10
    data = prepare_text_tags(_config(_table(tmp_path, rows), tokens="char"), tmp_path, 1)
    assert data.vocabulary.mode == "char" and data.steps == 5
    assert set(data.vocabulary.tokens) == {"a", "b", " "}


@pytest.mark.parametrize("rows, says", [
    ([("Paris is big", "LOC O O")] * 5 + [("Paris is big", "LOC O")],
     "row 7: 3 whitespace-separated tokens in 'sentence' but 2 tags in 'tags'"),
    ([("a b", "X Y")] * 5 + [("   ", "X")], "row 7: data.text 'sentence' is empty"),
    ([("a b", "X X")] * 6, "only one tag ('X') in 'tags'"),
    ([], "the file has a header but no rows"),
])
def test_misaligned_rows_are_refused_naming_the_row_and_counts(tmp_path: Path, rows: list,
                                                              says: str):
    with pytest.raises(DataError, match=says.replace("(", r"\(").replace(")", r"\)")):
        prepare_text_tags(_config(_table(tmp_path, rows)), tmp_path, 1)


def test_a_misaligned_row_stops_run_in_one_line_with_nothing_created(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    _table(isolated_workdir, [("Paris is big", "LOC O O")] * 9 + [("Rome is old", "LOC O O O")])
    path = write_sweep(isolated_workdir, "name: tags\ndata: {source: t.csv, task: label, "
                       "text: sentence, label: tags}\nsearch: {units: 4}\n")
    assert main(["run", str(path)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines()
             if line.strip() and line != "error:"]
    assert len(lines) == 1, lines
    assert "t.csv: row 11: 3 whitespace-separated tokens in 'sentence' but 4 tags" in lines[0]
    assert sorted(p.name for p in isolated_workdir.iterdir()) == ["sweep.yaml", "t.csv"]


@pytest.mark.parametrize("data, search, key", [
    ("{source: t.csv, task: label, text: s, label: t, scaling: minmax}", "", "data.scaling"),
    ("{source: t.csv, task: label, text: s, label: s}", "", "data.text"),
    ("{source: t.csv, task: label, text: s, label: t, case_column: c}", "", "data.case_column"),
    # said once, the text input's way (not also as a numeric label sweep's long-table advice)
    ("{source: t.csv, task: label, text: s, label: t, layout: wide}", "", "data.layout: not "
     "with a text input"),
    ("{source: t.csv, task: label, text: s, label: t, window: 4}", "", "data.window: not "
     "with a text input"),
    ("{source: t.csv, task: label, text: s, label: t}", ", fcn_branch: true",
     "search.fcn_branch: pools the whole sequence"),
])
def test_validate_refuses_what_cannot_act_in_a_tagger(data: str, search: str, key: str,
                                                      isolated_workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, f"name: a\ndata: {data}\n"
                                         f"search: {{units: 4{search}}}\n")
    assert main(["validate", "--no-data", str(path)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines()
             if line.strip() and line != "error:"]
    assert len(lines) == 1 and key in lines[0], lines
    assert sorted(p.name for p in isolated_workdir.iterdir()) == ["sweep.yaml"]


def test_the_unigram_tagger_knows_words_not_context():
    train = [["the", "book"], ["they", "book"], ["they", "book"], ["a", "dog"]]
    tags = [np.array([0, 1]), np.array([2, 3]), np.array([2, 3]), np.array([0, 1])]
    # book: VERB (3) twice, NOUN (1) once; unknown "cat" gets the overall majority
    # (tags 0, 1, 2, 3 occur 2, 2, 2, 2 times: a tie, broken by class order -> 0)
    predicted = unigram_tagger(train, tags, [["the", "book", "cat"]], classes=4)
    assert predicted.tolist() == [0, 3, 0]


def test_the_unigram_tagger_breaks_a_word_tie_by_the_overall_frequency():
    train = [["x"], ["x"], ["y"], ["y"], ["y"]]
    tags = [np.array([0]), np.array([1]), np.array([1]), np.array([1]), np.array([1])]
    assert unigram_tagger(train, tags, [["x"]], classes=2).tolist() == [1]


def test_the_window_tagger_reads_the_neighbours():
    """The middle word's tag is its left neighbour's: the unigram tagger cannot know it, a +-1
    window can."""
    rng = np.random.default_rng(0)
    def sentences(n: int) -> tuple[list[list[str]], list[np.ndarray]]:
        words, tags = [], []
        for _ in range(n):
            head = str(rng.choice(["the", "they"]))
            words.append([head, "book", "."])
            tags.append(np.array([0, 1 if head == "the" else 2, 3]))
        return words, tags
    train, train_tags = sentences(60)
    val, val_tags = sentences(20)
    test, test_tags = sentences(20)
    predicted, label = window_tagger(train, train_tags, val, val_tags, test, classes=4)
    assert predicted.tolist() == np.concatenate(test_tags).tolist()
    assert "tokens at -1..+1" in label or "tokens at -2..+2" in label
    unigram = unigram_tagger(train + val, train_tags + val_tags, test, classes=4)
    assert (unigram == np.concatenate(test_tags)).mean() < 1.0


def test_baselines_are_scored_on_the_same_test_tokens(tmp_path: Path):
    data = prepare_text_tags(_config(_table(tmp_path, _sentences(60))), tmp_path, seed=2)
    report = data.baselines()
    assert set(report) == {"majority", "unigram", "window"}
    # two "so" hide the head from a +-2 window, but the words after "book" give its tag away
    assert report["window"]["accuracy"] == 1.0
    assert report["unigram"]["accuracy"] < 1.0  # "book" is NOUN or VERB
    test_tokens = sum(len(t) for t in data.tokens["test"])
    assert test_tokens == int((data.splits["test"].y != PAD_LABEL).sum())


def test_the_data_command_shows_tag_counts_per_split(isolated_workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]):
    _table(isolated_workdir, _sentences())
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: t.csv, task: label, "
                       "text: sentence, label: tags, split: {validation: 0.2, test: 0.2}}\n"
                       "search: {units: 4}\n")
    assert main(["data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "7 tags per token" in out and "word tokens (split on whitespace, as written)" in out
    for split in ("train", "validation", "test"):
        assert f"  {split}: " in out and "texts," in out
    assert "tags ADV: " in out
    assert "baseline unigram (most frequent tag of each token in training" in out
    assert "train text 0: " in out and "/PUNCT" in out


def test_the_shipped_generated_set_is_what_the_generator_writes():
    frame = pd.read_csv(REPO / "datasets" / "tagging_generated.csv", keep_default_na=False)
    assert list(frame.columns) == ["sentence", "tags"]
    assert list(zip(frame["sentence"], frame["tags"], strict=True)) == tagged_sentences(1500, 23)
    for sentence, tags in tagged_sentences(200, 5):
        words, marks = sentence.split(), tags.split()
        assert len(words) == len(marks) and marks[-1] == "PUNCT"
        head = None
        for mark in marks:
            if mark in ("DET", "PRON"):
                head = mark
            elif mark in ("NOUN", "VERB"):  # fixed by the phrase's head, however far back
                assert mark == ("NOUN" if head == "DET" else "VERB"), sentence


SPEC = {"task": "label", "classes": ["A", "B"],
        "text": {"column": "text", "max_length": 3, "mode": "whitespace",
                 "tokens": ["x", "y"]}}


def test_a_served_tagger_tags_a_long_text_in_overlapping_pieces_from_their_middles():
    """5 tokens, pieces of 3 every 1 (half of 3, at least 1), the last ending with the text:
    each token takes its tag from the piece that reads it with the most context around it."""
    assert piece_starts(5, 3) == [0, 1, 2] and piece_starts(3, 3) == [0]
    assert piece_starts(10, 4) == [0, 2, 4, 6]
    x, tokens, owners = tag_input(SPEC, ["x y z x y", "y"])
    assert tokens == [["x", "y", "z", "x", "y"], ["y"]]
    assert owners == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert x[:, :, 0].tolist() == [[2, 3, OOV_ID], [3, OOV_ID, 2], [OOV_ID, 2, 3],
                                   [3, PAD_ID, PAD_ID]]
    probabilities = np.zeros((4, 3, 2))
    probabilities[..., 0] = 1.0
    probabilities[1, 1] = [0.3, 0.7]  # 'z' (3rd token) read from the middle of piece 1
    probabilities[0, 2] = [0.4, 0.6]  # ... not at the end of piece 0
    probabilities[2, 2] = [0.2, 0.8]  # the 5th token: only piece 2 ends with the text
    out = tag_output(SPEC, probabilities, tokens, owners)
    assert list(out.columns) == ["case", "position", "token", "label", "p_A", "p_B"]
    assert out["case"].tolist() == [0, 0, 0, 0, 0, 1]
    assert out["position"].tolist() == [0, 1, 2, 3, 4, 0]
    assert out["token"].tolist() == ["x", "y", "z", "x", "y", "y"]
    assert out["label"].tolist() == ["A", "A", "B", "A", "B", "A"]
    assert out["p_B"].tolist()[2] == pytest.approx(0.7)


@pytest.mark.parametrize("bad, says", [
    ([3], "data row 1: 3 is not a text"),
    (["x", "  "], "data row 2: the text has no token to tag"),
    ("x y", "not one bare string"),
])
def test_a_served_tagger_refuses_what_it_cannot_tag_in_one_line(bad: object, says: str):
    with pytest.raises(RawInputError, match=says):
        tag_input(SPEC, bad)


def test_the_test_predictions_table_names_each_token(tmp_path: Path):
    data = prepare_text_tags(_config(_table(tmp_path, _sentences())), tmp_path, seed=1)
    y = data.splits["test"].y
    predicted = np.zeros((*y.shape, len(data.classes)))
    predicted[..., 0] = 1.0
    header, rows = data.prediction_table(predicted)
    assert header[:5] == ["case", "step", "token", "label", "predicted"]
    assert len(rows) == int((y != PAD_LABEL).sum())
    first = data.tokens["test"][0]
    assert [row[2] for row in rows[:len(first)]] == first
    assert [row[1] for row in rows[:len(first)]] == list(range(len(first)))
