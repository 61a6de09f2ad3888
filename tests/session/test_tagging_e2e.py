"""End to end: a tagging sweep (a text column in, one tag per token out) from one YAML file with
real Keras training, real keras-tuner and a real MLflow sqlite store registers a model whose
pyfunc takes raw strings and answers one row per token, the same here, in a fresh process that
has only what the model carries and through ``lstm-sweep predict``; bad input is refused in one
line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from child_processes import START_TIMEOUT
from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.data.tag_sentences import tagged_sentences
from lstm_automl.errors import RawInputError

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: tagger
seed: 3
data: {source: tags.csv, task: label, text: sentence, label: tags, max_length: 6,
       split: {validation: 0.2}}
search: {cell: gru, units: 4, bidirectional: true, embedding_dim: {choice: [4, 8]},
         vocab_size: 30}
tuner: {algorithm: random, max_trials: 1, objective: val_accuracy}
training: {epochs: 1, early_stopping_patience: null}
final_model: {seeds: 1}
tracking: {champion_must_beat_baseline: false}
"""
TAGS = ["ADV", "DET", "NOUN", "PRON", "PUNCT", "VERB"]
PROBABILITIES = [f"p_{tag}" for tag in TAGS]


def _table(folder: Path) -> None:
    with (folder / "tags.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence", "tags"])
        writer.writerows(tagged_sentences(60, seed=4))


def _fresh_process(model: Path, texts: list[str], cwd: Path) -> pd.DataFrame:
    script = ("import mlflow, sys; assert 'lstm_automl' not in sys.modules; "
              f"m = mlflow.pyfunc.load_model({str(model)!r}); "
              f"print(m.predict({texts!r}).to_json())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=START_TIMEOUT, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]))


def test_a_tagging_sweep_registers_a_model_that_tags_raw_strings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow

    _table(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "word tokens (split on whitespace, as written)" in out
    assert "6 per text, padded and masked, 6 tags per token" in out
    assert "baseline majority (most frequent tag for every token" in out
    assert "baseline unigram (most frequent tag of each token in training" in out
    assert "baseline window (logistic regression on the tokens at" in out
    assert "<- strongest" in out and "Registered 'tagger' version 1" in out

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["tagger"])
    sweep = runs[runs["metrics.test_accuracy"].notna()].iloc[0]
    for name in ("test_accuracy", "test_macro_f1", "baseline_unigram_test_accuracy",
                 "baseline_window_test_macro_f1", "baseline_majority_test_accuracy"):
        assert 0.0 <= sweep[f"metrics.{name}"] <= 1.0, name
    assert sweep["tags.lstm_sweep.strongest_baseline"] in ("majority", "unigram", "window")

    local = Path(mlflow.artifacts.download_artifacts("models:/tagger/1",
                                                     dst_path=str(tmp_path / "m")))
    model = mlflow.pyfunc.load_model(str(local))
    # the second text is longer than max_length (6): tagged in two pieces, every token kept
    texts = ["The very book .", "They so so really watch a park .", "Zebras , unseen"]
    answer = model.predict(texts)
    assert list(answer.columns) == ["case", "position", "token", "label", *PROBABILITIES]
    assert answer["case"].tolist() == [0] * 4 + [1] * 8 + [2] * 3
    assert answer["token"].tolist() == " ".join(texts).split()
    assert answer["position"].tolist() == [*range(4), *range(8), *range(3)]
    assert set(answer["label"]) <= set(TAGS)
    np.testing.assert_allclose(answer[PROBABILITIES].sum(axis=1), 1.0, rtol=1e-5)
    table = model.predict(pd.DataFrame({"sentence": texts}))
    pd.testing.assert_frame_equal(table, answer)
    # a text's tags do not depend on the others sent with it
    alone = model.predict([texts[0]])
    np.testing.assert_allclose(alone[PROBABILITIES].to_numpy(),
                               answer[PROBABILITIES].to_numpy()[:4], rtol=1e-5, atol=1e-6)
    for bad, says in [([1.5, "text"], "data row 1: 1.5 is not a text"),
                      (pd.DataFrame({"body": ["x"]}), "column 'sentence' is missing"),
                      ("one string", "not one bare string"),
                      (["ok", " "], "data row 2: the text has no token to tag")]:
        with pytest.raises(RawInputError, match=says):
            model.predict(bad)

    there = _fresh_process(local, texts, tmp_path)
    assert there["label"].tolist() == answer["label"].tolist()
    np.testing.assert_allclose(there[PROBABILITIES].to_numpy(),
                               answer[PROBABILITIES].to_numpy(), rtol=1e-5, atol=1e-6)

    # `predict` on a CSV: the same rows (a "42" stays a text and is tagged as a token)
    pd.DataFrame({"sentence": [*texts, "42"]}).to_csv(tmp_path / "in.csv", index=False)
    assert main(["predict", "--model", str(local), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.csv")]) == 0
    written = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert written["label"].tolist()[:15] == answer["label"].tolist()
    assert written["token"].astype(str).tolist()[15:] == ["42"]
