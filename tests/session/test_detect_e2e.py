"""A ``task: detect`` sweep trains a one-step forecaster, chooses its threshold on validation,
is judged against the classical detectors on the test steps, registers, and the registered
model scores and flags every row of a raw history exactly as the sweep scored the test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, write_sweep
from detect_checks import check_registered_detector
from lstm_automl.cli import main
from lstm_automl.errors import RawInputError

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract]

SWEEP = """
name: detect
seed: 3
data:
  task: detect
  source: builtin:anomalies
  lookback: 12
  threshold: best_f1
search: {units: 4, cell: {choice: [lstm, gru]}}
tuner: {algorithm: random, max_trials: 2}
training: {epochs: 1, early_stopping_patience: null}
"""


def test_a_detect_sweep_registers_a_model_that_flags_each_row(tmp_path, capsys):
    import mlflow

    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "note: threshold: the validation score with the highest point F1" in out
    client, version, run = check_registered_detector(out, "detect", tmp_path)
    scored = run.scored
    assert "highest point F1 on the validation labels" in version.description
    report = tmp_path / "report.html"
    assert main(["report", "detect", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
                 "--out", str(report)]) == 0
    html = report.read_text()
    assert "The verdict compares f1" in html and "seasonal_residual" in html
    plots = {a.path for a in client.list_artifacts(version.run_id, "plots")}
    assert "plots/anomaly_flags.png" in plots and "plots/forecast_vs_actual.png" not in plots
    threshold = run.data.metrics["test_threshold"]

    series = pd.read_csv(PROJECT_ROOT / "datasets" / "anomalies_hourly.csv")
    first = int(scored["row"].iloc[0])
    history = series.iloc[first - 12:first + 40].drop(columns="anomaly")
    model = mlflow.pyfunc.load_model(f"models:/detect/{version.version}")
    flagged = model.predict(history.sample(frac=1.0, random_state=0))  # ordered by time
    assert len(flagged) == len(history)
    assert list(flagged.columns) == ["hour", "value", "forecast", "score", "flag"]
    assert flagged["score"].iloc[:12].isna().all() and (flagged["flag"].iloc[:12] == 0).all()
    expected = scored.iloc[:40]
    np.testing.assert_allclose(flagged["score"].iloc[12:], expected["score"], rtol=1e-4,
                               atol=1e-4)
    assert flagged["flag"].iloc[12:].tolist() == expected["flag"].tolist()
    spec = model._model_impl.spec
    assert spec["task"] == "detect" and spec["threshold"] == pytest.approx(threshold)
    with pytest.raises(RawInputError, match="12 rows of history are too few"):
        model.predict(history.head(12))
