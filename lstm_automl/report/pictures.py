"""Every picture of a sweep at once, and their logging on its run: the figures of ``figures.py``
and what mattered (``mattered.py``), each drawn from the same sweep read back once."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lstm_automl.report.detect_figure import anomaly_flags
from lstm_automl.report.figures import (
    DPI,
    confusion_matrix,
    forecast_vs_actual,
    load_predictions,
    objective_by_cell,
    objective_vs_hyperparameters,
    validation_curves,
)
from lstm_automl.report.importance import Mattered, what_mattered
from lstm_automl.report.mattered import mattered_figures
from lstm_automl.tracking.read_back import load_sweep_runs


def sweep_figures(client: Any, parent_run_id: str) -> dict[str, Figure]:
    """Every picture that applies to this sweep, by name (see ``sweep_pictures``)."""
    return sweep_pictures(client, parent_run_id)[0]


def sweep_pictures(client: Any, parent_run_id: str) -> tuple[dict[str, Figure], Mattered]:
    """Every picture that applies to this sweep, by name (PNG file name without extension).

    ``validation_curves``, ``objective_by_cell``, ``objective_vs_hyperparameters`` (when a
    numeric value was searched), what mattered (``hyperparameter_importance`` once enough trials
    scored, ``parallel_coordinates``: report/mattered.py), and from the champion's
    ``test_predictions.csv`` ``forecast_vs_actual`` (forecasting), ``confusion_matrix``
    (classification) or ``anomaly_flags`` (detection); a picture without data is left out
    rather than drawn empty. Also what mattered, for the console's line.
    """
    sweep = load_sweep_runs(client, client.get_run(parent_run_id))
    found = what_mattered(sweep)
    predictions = load_predictions(client, sweep)
    figures: dict[str, Figure | None] = {
        "validation_curves": validation_curves(client, sweep),
        "objective_by_cell": objective_by_cell(sweep),
        "objective_vs_hyperparameters": objective_vs_hyperparameters(sweep),
        **mattered_figures(sweep, found),
        "forecast_vs_actual": forecast_vs_actual(client, sweep, predictions),
        "confusion_matrix": confusion_matrix(sweep, predictions),
        "anomaly_flags": anomaly_flags(sweep, predictions),
    }
    return {name: fig for name, fig in figures.items() if fig is not None}, found


def log_sweep_figures(client: Any, parent_run_id: str) -> list[str]:
    """Log the pictures as ``plots/NAME.png`` on the sweep's run; returns the artifact paths."""
    return log_sweep_pictures(client, parent_run_id)[0]


def log_sweep_pictures(client: Any, parent_run_id: str) -> tuple[list[str], Mattered]:
    """``log_sweep_figures``, and what mattered (for the console)."""
    figures, found = sweep_pictures(client, parent_run_id)
    with tempfile.TemporaryDirectory() as tmp:
        for name, fig in figures.items():
            fig.savefig(Path(tmp) / f"{name}.png", dpi=DPI, bbox_inches="tight")
        if figures:
            client.log_artifacts(parent_run_id, tmp, artifact_path="plots")
    if found.shares:  # sortable beside the other sweeps in the MLflow UI
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        client.log_batch(parent_run_id, metrics=[
            Metric(f"importance_{key}", share, now, 0) for key, share in found.shares.items()])
    return [f"plots/{name}.png" for name in figures], found
