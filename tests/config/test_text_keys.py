"""The text keys (data.text, data.tokens, data.kmer, data.max_length, search.embedding_dim and
search.vocab_size) in ``validate``: accepted with a text input, refused in one line (exit 2,
nothing created) where they cannot act. Light: no model is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

TEXT = "data: {source: t.csv, task: classify, text: review, tokens: char, max_length: 20}\n"
SERIES = "data: {source: builtin:GunPoint, task: classify}\n"


def _validate(folder: Path, data: str, search: str, capsys: pytest.CaptureFixture[str]
              ) -> tuple[int, str]:
    path = write_sweep(folder, "name: a\n" + data + "search:\n" + search)
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _one_line(code: int, out: str, folder: Path, key: str) -> str:
    lines = [line for line in out.splitlines() if line.strip() and line != "error:"]
    assert code == 2, out
    assert len(lines) == 1 and "sweep.yaml" in lines[0] and key in lines[0], out
    assert not list(folder.glob("mlflow*")) and not (folder / "runs").exists()
    return lines[0]


def test_a_text_sweep_searching_the_embedding_is_valid(isolated_workdir: Path,
                                                       capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, TEXT, "  embedding_dim: {choice: [8, 16]}\n"
                          "  vocab_size: {choice: [100, 1000]}\n", capsys)
    assert code == 0, out
    assert "embedding_dim" in out and "choice of 8, 16" in out
    assert "vocab_size" in out and "choice of 100, 1000" in out


@pytest.mark.parametrize("search", ["  embedding_dim: 64\n", "  vocab_size: {choice: [10, 20]}\n"])
def test_text_params_without_a_text_input_are_refused(search: str, isolated_workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, SERIES, search, capsys)
    line = _one_line(code, out, isolated_workdir, "search." + search.split(":")[0].strip())
    assert "only applies with a text input (set data.text" in line


def test_text_params_at_their_default_without_text_are_fine(isolated_workdir: Path,
                                                            capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, SERIES, "  embedding_dim: 32\n", capsys)
    assert code == 0, out


@pytest.mark.parametrize("data, key", [
    ("data: {source: builtin:GunPoint, task: classify, tokens: char}\n", "data.tokens"),
    ("data: {source: builtin:GunPoint, task: classify, max_length: 9}\n", "data.max_length"),
    ("data: {source: t.csv, task: classify, text: review, window: 8}\n", "data.window"),
    ("data: {source: t.csv, task: classify, text: review, layout: long}\n", "data.layout"),
    ("data: {source: t.csv, task: classify, text: review, label: review}\n", "data.text"),
    ("data: {source: t.csv, task: regress, text: review, scaling: {choice: [none, minmax]}}\n",
     "data.scaling"),
    ("data: {source: builtin:GunPoint, task: classify, kmer: 3}\n", "data.kmer"),
    ("data: {source: t.csv, task: classify, text: review, tokens: char, kmer: 3}\n",
     "data.kmer"),
    ("data: {source: t.csv, task: classify, text: review, tokens: kmer}\n", "data.kmer"),
    ("data: {source: t.csv, task: classify, text: review, tokens: kmer, kmer: 0}\n",
     "data.kmer"),
    ("data: {source: t.csv, task: classify, text: review, tokens: kmer, kmer: {int: [0, 3]}}\n",
     "data.kmer"),
    ("data: {source: t.csv, task: label, text: review, tokens: kmer, kmer: 3}\n",
     "data.tokens"),
])
def test_keys_that_cannot_act_with_or_without_text_are_refused(
        data: str, key: str, isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    code, out = _validate(isolated_workdir, data, "  units: 8\n", capsys)
    _one_line(code, out, isolated_workdir, key)


@pytest.mark.parametrize("extra, key", [
    ("final_model: {mc_dropout: {samples: 5}}\n", "final_model.mc_dropout"),
    ("model: {python: m.py:build}\n", "model.python"),
])
def test_what_text_inputs_do_not_take_yet_is_refused(extra: str, key: str,
                                                     isolated_workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]):
    (isolated_workdir / "m.py").write_text("def build(hp, shape):\n    return None\n")
    path = write_sweep(isolated_workdir, "name: a\n" + TEXT + extra +
                       "search: {units: 8, dropout: 0.1}\n")
    code = main(["validate", "--no-data", str(path)])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 2 and key in out, out


def test_a_searched_kmer_is_a_data_variant(isolated_workdir: Path,
                                           capsys: pytest.CaptureFixture[str]):
    data = ("data: {source: t.csv, task: classify, text: review, tokens: kmer, "
            "kmer: {int: [3, 5]}}\n")
    code, out = _validate(isolated_workdir, data, "  embedding_dim: {int: [2, 20]}\n", capsys)
    assert code == 0, out
    assert "data.kmer" in out and "choice of 3, 4, 5" in out


def test_an_unknown_token_mode_names_the_allowed_ones(isolated_workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    data = "data: {source: t.csv, task: classify, text: review, tokens: bytes}\n"
    code, out = _validate(isolated_workdir, data, "  units: 8\n", capsys)
    line = _one_line(code, out, isolated_workdir, "data.tokens")
    assert "word" in line and "char" in line and "kmer" in line


def test_forecasting_has_no_text_key(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    data = "data: {source: builtin:airline, text: passengers}\n"
    code, out = _validate(isolated_workdir, data, "  units: 8\n", capsys)
    _one_line(code, out, isolated_workdir, "data.text")
