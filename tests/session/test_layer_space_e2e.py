"""End to end: a cell per layer, a tied dense width and Monte-Carlo dropout in one real sweep
(real Keras training, keras-tuner and an MLflow sqlite store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: layered
seed: 5
data: {source: builtin:nile, lookback: 6, split: {validation: 0.2, test: 0.2}}
search:
  layers: 2
  cell: {choice: [lstm, gru], per_layer: true}
  units: {choice: [4, 8], per_layer: true}
  dense_layers: 1
  dense_units: {same_as: units}
  recurrent_dropout: 0.2
tuner: {algorithm: random, max_trials: 2}
training: {epochs: 1, early_stopping_patience: null}
final_model: {mc_dropout: {samples: 10}}
tracking: {champion_must_beat_baseline: false}
"""


def test_per_layer_cells_tied_widths_and_mc_dropout_in_a_sweep(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow

    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("layered")
    runs = client.search_runs([experiment.experiment_id])
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(trials) == 2
    for run in trials:
        params, tags = run.data.params, run.data.tags
        cells = [params["cell_0"], params["cell_1"]]
        assert "cell" not in params and tags["cell"] == "/".join(cells)
        assert tags["kernel"] == "cpu"
        assert not any(k.startswith("dense_units") for k in params)  # derived, not sampled
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    assert parent.data.params["mc_dropout.samples"] == "10"
    capsys.readouterr()
    assert main(["leaderboard", "layered", "--format", "json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert {row["cell"] for row in board["trials"]} == {r.data.tags["cell"] for r in trials}
    assert "cell" not in board["searched"]  # its own column, not cell_0/cell_1 apart
    from mlflow.models import Model

    local = mlflow.artifacts.download_artifacts("models:/layered/1", dst_path=str(tmp_path / "m"))
    model = mlflow.pyfunc.load_model(local)
    network = model.get_raw_model()
    last = next(layer for layer in network.layers if layer.name in ("lstm_1", "gru_1"))
    assert network.get_layer("dense_0").units == last.cell.units  # as wide as the last layer
    out = model.predict(Model.load(local).load_input_example(local))
    spread = [c for c in out.columns if c.endswith("_std")]
    assert spread and (out[spread].to_numpy() > 0).all()  # recurrent dropout, kept on
