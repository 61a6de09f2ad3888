"""``task: detect`` with ``data.scorer: autoencoder``: the sweep trains a sequence autoencoder,
chooses the threshold on the validation rows' reconstruction errors, is judged against the same
classical detectors, registers, and the registered model scores and flags every row of a raw
history as the sweep scored the test split."""

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
name: detect_ae
seed: 3
data:
  task: detect
  source: builtin:anomalies
  lookback: 12
  threshold: best_f1
  scorer: autoencoder
search: {units: 4, cell: {choice: [lstm, gru]}}
tuner: {algorithm: random, max_trials: 2}
training: {epochs: 2, early_stopping_patience: null}
"""


def test_an_autoencoder_detect_sweep_registers_a_model_that_flags_each_row(tmp_path, capsys):
    import mlflow

    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    assert "autoencoder's mean absolute reconstruction error" in out
    client, version, run = check_registered_detector(out, "detect_ae", tmp_path)
    scored = run.scored
    assert "reconstruction error of the windows covering it" in version.description
    assert len(scored) == 600 and scored["score"].notna().all()  # every test row is scored
    assert "test_reconstruction_mae" in run.data.metrics
    threshold = run.data.metrics["test_threshold"]
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    report = tmp_path / "report.html"
    assert main(["report", "detect_ae", "--tracking-uri", uri, "--out", str(report)]) == 0
    plots = {a.path for a in client.list_artifacts(version.run_id, "plots")}
    assert "plots/anomaly_flags.png" in plots

    # The served model, from a raw shuffled history: every row gets a score; a row whose
    # covering windows all lie inside the history is scored exactly as the sweep scored it.
    series = pd.read_csv(PROJECT_ROOT / "datasets" / "anomalies_hourly.csv")
    first = int(scored["row"].iloc[0])
    history = series.iloc[first - 11:first + 60].drop(columns="anomaly")
    model = mlflow.pyfunc.load_model(f"models:/detect_ae/{version.version}")
    flagged = model.predict(history.sample(frac=1.0, random_state=0))  # ordered by time
    assert list(flagged.columns) == ["hour", "value", "reconstruction", "score", "flag"]
    assert len(flagged) == len(history) and flagged["score"].notna().all()
    inner = flagged.iloc[11:60]  # rows first .. first+48: all 12 covering windows inside
    expected = scored.iloc[:49]
    np.testing.assert_allclose(inner["score"], expected["score"], rtol=1e-4, atol=1e-5)
    assert inner["flag"].tolist() == expected["flag"].tolist()
    spec = model._model_impl.spec
    assert spec["scorer"] == "autoencoder" and spec["threshold"] == pytest.approx(threshold)
    with pytest.raises(RawInputError, match="11 rows of history are too few"):
        model.predict(history.head(11))
