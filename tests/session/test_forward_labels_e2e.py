"""End to end: a classify sweep whose classes come from a series (``data.label_from``) searches
lookback and horizon, trains real trials, scores the test windows against the majority, last-move
and window-ridge baselines, registers the model in a real MLflow sqlite store, and the pyfunc
(and ``lstm-sweep predict``) answers the class of the forward move after a raw history's last
row, the same as the sweep scored that row; a too-short history is refused as a bad request."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.errors import RawInputError

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: moves
seed: 2
data:
  task: classify
  source: prices.csv
  time_column: day
  label_from: {column: price, lookback: {choice: [8, 12]}, horizon: {choice: [3, 5]},
               threshold: 0.004, reference: past_mean}
  split: {validation: 0.2, test: 0.2}
search: {cell: gru, units: 8}
tuner: {algorithm: grid, max_trials: 4, objective: val_macro_f1}
training: {epochs: 1, early_stopping_patience: null}
final_model: {seeds: 1, top_k: 1, refit: false}
tracking: {champion_must_beat_baseline: false}
"""


def _prices(folder: Path, rows: int = 300) -> pd.DataFrame:
    """A positive price series, one row a day: a slow cycle (moves the window can see coming)
    plus noise."""
    rng = np.random.default_rng(4)
    steps = np.arange(rows)
    price = 100 * np.exp(0.03 * np.sin(2 * np.pi * steps / 23) + np.cumsum(
        rng.normal(0, 0.002, rows)))
    frame = pd.DataFrame({"day": [str(date(2023, 1, 1) + timedelta(days=int(i)))
                                  for i in steps], "price": np.round(price, 4)})
    frame.to_csv(folder / "prices.csv", index=False)
    return frame


def test_a_forward_label_sweep_registers_a_model_that_classifies_the_next_move(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow
    from mlflow.exceptions import MlflowException

    series = _prices(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "classes of the move over the next" in out
    for name in ("majority (most frequent class", "last_move (the class of the last move",
                 "window_ridge (ridge classifier on the window"):
        assert f"baseline {name}" in out, name
    assert "<- strongest" in out and "Registered 'moves' version 1" in out

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    version = client.get_model_version("moves", "1")
    run = client.get_run(version.run_id)
    for name in ("test_macro_f1", "test_accuracy", "baseline_majority_test_macro_f1",
                 "baseline_last_move_test_macro_f1", "baseline_window_ridge_test_macro_f1"):
        assert 0.0 <= run.data.metrics[name] <= 1.0, name
    runs = mlflow.search_runs(experiment_names=["moves"])
    tried = runs["params.data.label_from.horizon"].dropna().astype(int)
    assert set(tried) == {3, 5}  # both windows searched (a grid of 4)

    scored = pd.read_csv(client.download_artifacts(version.run_id, "test_predictions.csv",
                                                   str(tmp_path)))
    assert list(scored.columns) == ["day", "label", "predicted", "p_down", "p_flat", "p_up"]
    last = scored.iloc[-1]
    # the history up to the scored row, shuffled: the model orders it by day
    history = series[series["day"] <= last["day"]].sample(frac=1.0, random_state=0)
    model = mlflow.pyfunc.load_model(f"models:/moves/{version.version}")
    answer = model.predict(history)
    assert list(answer.columns) == ["day", "label", "p_down", "p_flat", "p_up"]
    assert answer["day"].iloc[0] == last["day"] and answer["label"].iloc[0] == last["predicted"]
    for name in ("p_down", "p_flat", "p_up"):
        assert answer[name].iloc[0] == pytest.approx(last[name], abs=1e-5)

    history_csv, output = tmp_path / "history.csv", tmp_path / "out.csv"
    history.to_csv(history_csv, index=False)
    assert main(["predict", "--model", "models:/moves/1", "--input", str(history_csv),
                 "--output", str(output), "--tracking-uri",
                 f"sqlite:///{tmp_path / 'mlflow.db'}"]) == 0
    assert pd.read_csv(output)["label"].iloc[0] == last["predicted"]

    spec = model._model_impl.spec
    assert spec["label_from"] == "price" and spec["classes"] == ["down", "flat", "up"]
    short = series.head(spec["lookback"] - 1)
    with pytest.raises(RawInputError, match=rf"{len(short)} rows of history are too few: the "
                                            rf"model reads the last {spec['lookback']} rows"):
        model.predict(short)
    try:
        model.predict(short)
    except MlflowException as refused:  # what `mlflow models serve` answers with HTTP 400
        assert refused.get_http_status_code() == 400
    assert len(model.predict(series.tail(spec["lookback"]))) == 1  # and it keeps serving
