"""What every registered ``task: detect`` sweep must show, whichever scorer it used: the test
metrics in range, the logged test table and its flags, and test F1 recomputed from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

HEADLINE = ("test_f1", "test_event_f1", "test_range_f1", "test_pa_f1",
            "baseline_isolation_forest_test_f1", "baseline_seasonal_residual_test_f1")
BASELINES = ("rolling_zscore", "seasonal_residual", "isolation_forest")


def check_registered_detector(out: str, name: str, folder: Path) -> tuple[Any, Any, Any]:
    """(client, version, run) of the sweep ``name`` whose console output is ``out``, after
    checking what it logged; also returns the logged test table as ``run.scored``."""
    import mlflow

    for baseline in BASELINES:
        assert f"baseline {baseline} (" in out
    assert "the strongest baseline" in out  # the verdict names it, whichever way it goes
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    version = client.get_latest_versions(name)[0]
    run = client.get_run(version.run_id)
    for key in HEADLINE:
        assert 0.0 <= run.data.metrics[key] <= 1.0, key
    scored = pd.read_csv(client.download_artifacts(version.run_id, "test_predictions.csv",
                                                   str(folder)))
    assert list(scored.columns) == ["row", "time", "actual", "predicted", "score", "flag",
                                    "anomaly"]
    threshold = run.data.metrics["test_threshold"]
    assert ((scored["score"] >= threshold).astype(int) == scored["flag"]).all()
    # the test metrics are those of the logged flags against the labels
    hits = int((scored["flag"] & scored["anomaly"]).sum())
    precision = hits / max(1, int(scored["flag"].sum()))
    recall = hits / int(scored["anomaly"].sum())
    f1 = 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
    assert run.data.metrics["test_f1"] == pytest.approx(f1)
    run.scored = scored
    return client, version, run
