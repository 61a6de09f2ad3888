"""End to end: a text classification sweep from one YAML file (real Keras training, real
keras-tuner, a real MLflow sqlite store) registers a model whose pyfunc takes raw strings, in
this process and in a fresh one that has only what the model carries, and refuses bad input in
one line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from child_processes import START_TIMEOUT
from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.errors import RawInputError

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: reviews
seed: 3
data: {source: reviews.csv, task: classify, text: review, split: {validation: 0.2}}
search: {cell: gru, units: 4, embedding_dim: {choice: [4, 8]}, vocab_size: 50}
tuner: {algorithm: random, max_trials: 1, objective: val_accuracy}
training: {epochs: 1, early_stopping_patience: null}
tracking: {champion_must_beat_baseline: false}
"""


def _reviews(folder: Path, rows: int = 60) -> None:
    words = {"pos": ["wonderful", "great", "lovely"], "neg": ["dreadful", "dull", "awful"]}
    with (folder / "reviews.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "label"])
        for i in range(rows):
            label = "pos" if i % 2 else "neg"
            writer.writerow([f"A {words[label][i % 3]} film with a {words[label][(i + 1) % 3]} "
                             f"ending", label])


def test_a_text_sweep_registers_a_model_that_takes_raw_strings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow

    _reviews(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "word tokens, vocabulary" in out and "padded and masked" in out
    assert "baseline majority (most frequent class)" in out
    assert "baseline bag_of_words (logistic regression on tf-idf of the tokens" in out
    assert "Registered 'reviews' version 1" in out
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    local = Path(mlflow.artifacts.download_artifacts("models:/reviews/1",
                                                     dst_path=str(tmp_path / "m")))
    model = mlflow.pyfunc.load_model(str(local))
    listed = model.predict(["A wonderful film", "a DULL, awful one", "never seen words"])
    assert list(listed.columns) == ["case", "label", "p_neg", "p_pos"]
    assert len(listed) == 3 and set(listed["label"]) <= {"neg", "pos"}
    table = model.predict(pd.DataFrame({"review": ["A wonderful film", "a DULL, awful one"]}))
    pd.testing.assert_frame_equal(table, listed.iloc[:2])
    for bad, says in [([1.5, "text"], "data row 1: 1.5 is not a text"),
                      (pd.DataFrame({"body": ["x"]}), "column 'review' is missing"),
                      ("one string", "not one bare string"),
                      ([None], "None is not a text")]:
        with pytest.raises(RawInputError, match=says):
            model.predict(bad)
    # A fresh process, lstm_automl only as the model ships it: the vocabulary travels along.
    script = ("import mlflow, sys; assert 'lstm_automl' not in sys.modules; "
              f"m = mlflow.pyfunc.load_model({str(local)!r}); "
              "print(m.predict(['A wonderful film', 'a DULL, awful one']).to_json())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=START_TIMEOUT, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout.strip().splitlines()[-1])
    assert there["label"] == {str(k): v for k, v in listed["label"].iloc[:2].items()}
    assert abs(there["p_pos"]["0"] - listed["p_pos"].iloc[0]) < 1e-5
    # `predict` on a CSV keeps the text column as written: "42" and "3.10" are texts there.
    (tmp_path / "in.csv").write_text("review\n42\n3.10\nA wonderful film\n")
    assert main(["predict", "--model", str(local), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "out.csv")) == 3
