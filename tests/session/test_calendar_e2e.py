"""A sweep with calendar and seasonal-lag inputs trains, registers, and its registered model
derives the same inputs from a raw history's time column: its forecast of the last test month
is the one the sweep scored."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.errors import RawInputError

pytestmark = pytest.mark.slow

SWEEP = """
name: calendar
seed: 5
data:
  source: monthly.csv
  target: sales
  time_column: month
  lookback: 6
  calendar: auto
  seasonal_lag: {choice: [season]}
  split: {validation: 12, test: 12}
search: {units: 4, cell: gru}
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 2, early_stopping_patience: null}
tracking: {champion_must_beat_baseline: false}
"""


def _write_series(folder) -> pd.DataFrame:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(72)]
    sales = [100 + i + 20 * math.sin(2 * math.pi * i / 12) for i in range(72)]
    frame = pd.DataFrame({"month": months, "sales": np.round(sales, 3)})
    frame.to_csv(folder / "monthly.csv", index=False)
    return frame


@pytest.mark.backend_contract
def test_registered_model_derives_the_calendar_from_raw_history(tmp_path, capsys):
    import mlflow

    series = _write_series(tmp_path)
    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    capsys.readouterr()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    version = client.get_latest_versions("calendar")[0]
    scored = pd.read_csv(client.download_artifacts(version.run_id, "test_predictions.csv",
                                                   str(tmp_path)))
    last = scored.iloc[-1]
    history = series[series["month"] < last["time"]].sample(frac=1.0, random_state=0)
    model = mlflow.pyfunc.load_model(f"models:/calendar/{version.version}")
    forecast = model.predict(history)  # shuffled rows: the model orders them by time
    assert forecast["sales_h1"].iloc[0] == pytest.approx(last["predicted_h1"], rel=1e-4)
    history_csv, output = tmp_path / "history.csv", tmp_path / "out.csv"
    history.to_csv(history_csv, index=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["predict", "--model", f"models:/calendar/{version.version}", "--input",
                 str(history_csv), "--output", str(output), "--tracking-uri", uri]) == 0
    assert pd.read_csv(output)["sales_h1"].iloc[0] == pytest.approx(last["predicted_h1"],
                                                                     rel=1e-4)
    spec = model._model_impl.spec  # the SweepModel's saved preprocessing
    assert spec["calendar"] == ["month"] and spec["seasonal_lag"] == 12
    with pytest.raises(RawInputError, match=r"needs the last 18 rows \(lookback 6 \+ 12 for "
                                            r"the seasonal lag\)"):
        model.predict(history.sort_values("month").tail(17))
    with pytest.raises(RawInputError, match="column 'month' is missing; the model derives its "
                                            "calendar inputs"):
        model.predict(history.drop(columns="month"))
