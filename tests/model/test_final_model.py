"""The registered model: an ensemble of the best trials refit on train + validation, and the
'champion' alias only for a model that beats the strongest baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.baselines.classical import ENTRIES
from lstm_automl.cli import main

SWEEP = """
name: {name}
seed: 5
data:
  source: builtin:nile
  lookback: 6
  split: {{validation: 0.2, test: 0.2}}
search:
  cell: {{choice: [gru, lstm]}}
  units: {{choice: [4, 8]}}
  learning_rate: {learning_rate}
tuner: {{algorithm: random, max_trials: 3}}
training: {{epochs: {epochs}, early_stopping_patience: null}}
final_model: {final}
tracking: {{champion_must_beat_baseline: {must_beat}}}
"""


def _client(folder: Path):
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    return mlflow, mlflow.MlflowClient()


def _parent(client, experiment: str):
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], "tags.`lstm_sweep.kind` = 'sweep'")
    assert len(runs) == 1
    return runs[0]


@pytest.mark.parametrize(("final", "message"), [
    ("{top_k: 0}", "final_model.top_k: Input should be greater than or equal to 1"),
    ("{seeds: 11}", "final_model.seeds: Input should be less than or equal to 10"),
    ("{refit: maybe}", "final_model.refit:"),
    ("{seed: 2}", "final_model.seed: unknown key"),
])
def test_bad_final_model_settings_are_refused_naming_the_key(tmp_path, capsys, final, message):
    path = write_sweep(tmp_path, f"name: x\ndata: {{source: builtin:nile}}\nfinal_model: {final}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]  # nothing written


def test_average_is_the_mean_of_its_members(keras_session):
    import keras

    from lstm_automl.model.final_model import average

    members = []
    for units in (3, 5):
        model = keras.Sequential([keras.Input((6, 1)), keras.layers.GRU(units),
                                  keras.layers.Dense(2)], name="same_name")
        members.append(model)
    x = np.random.default_rng(0).normal(size=(4, 6, 1)).astype("float32")
    expected = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    ensemble = average(members)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_ensemble_refit_is_registered_served_and_described(tmp_path, capsys):
    text = SWEEP.format(name="ens", learning_rate="{float: [3.0e-3, 1.0e-2], log: true}",
                        epochs=3, final="{top_k: 2, seeds: 2, refit: true}", must_beat="false")
    assert main(["run", str(write_sweep(tmp_path, text))]) == 0
    out = capsys.readouterr().out
    assert "mean of 2 trials x 2 seeds, each refit on train + validation" in out
    mlflow, client = _client(tmp_path)
    parent = _parent(client, "ens")
    assert parent.data.tags["lstm_sweep.final_model"].startswith("mean of 2 trials x 2 seeds")
    version = client.get_model_version_by_alias("ens", "champion")  # the policy is off
    assert "mean of 2 trials" in version.description
    keras_model = mlflow.keras.load_model("models:/ens@champion")
    assert len([layer for layer in keras_model.layers if layer.name.startswith("member_")]) == 4
    # The served model gives the test metrics the sweep logged: the test predictions agree.
    summary = json.loads(Path(client.download_artifacts(
        parent.info.run_id, "summary.json", str(tmp_path))).read_text())
    assert summary["final_model"].startswith("mean of 2 trials x 2 seeds")
    history = __import__("pandas").read_csv(
        Path(__import__("lstm_automl.config.builtin", fromlist=["x"]).datasets_dir()) / "nile.csv")
    pyfunc = mlflow.pyfunc.load_model("models:/ens@champion")
    assert np.isfinite(np.asarray(pyfunc.predict(history.head(70)), dtype=float)).all()


@pytest.mark.slow
def test_a_champion_that_loses_to_the_strongest_baseline_gets_no_alias(tmp_path, capsys):
    # One epoch at a tiny learning rate: the network cannot learn the series; AR and ETS can.
    text = SWEEP.format(name="weak", learning_rate="1.0e-6", epochs=1, final="{}",
                        must_beat="true")
    assert main(["run", str(write_sweep(tmp_path, text))]) == 0
    out = capsys.readouterr().out
    assert "LOSES to the strongest baseline" in out
    assert "no 'champion' alias: it does not beat the strongest baseline" in out
    assert "Load this sweep's model: mlflow.pyfunc.load_model('models:/weak/1')" in out
    assert "@champion" not in out
    mlflow, client = _client(tmp_path)
    parent = _parent(client, "weak")
    strongest = parent.data.tags["lstm_sweep.strongest_baseline"]
    assert parent.data.tags["lstm_sweep.verdict"] == f"loses to {strongest}"
    assert parent.data.tags["beats_baselines"] == "false"
    assert strongest in (*ENTRIES, "naive")
    assert f"lstm_sweep.baseline.{strongest}" in parent.data.tags
    version = client.get_model_version("weak", "1")
    assert not version.aliases
    assert version.tags["lstm_sweep.verdict"] == f"loses to {strongest}"
    assert "LOSES to the strongest baseline" in version.description
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_model_version_by_alias("weak", "champion")
    # The leaderboard tells the same truth, naming the same baseline.
    assert main(["leaderboard", "weak"]) == 0
    board = capsys.readouterr().out
    assert f"WARNING: LOSES to the strongest baseline, {strongest}" in board
