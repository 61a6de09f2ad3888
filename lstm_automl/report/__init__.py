"""Read a sweep back from MLflow: leaderboard, pictures, a self-contained HTML report.

The package root stays light (no matplotlib, no TensorFlow) so that ``lstm-sweep leaderboard``
starts fast; the plotting functions import matplotlib on first use.
"""

from __future__ import annotations

from typing import Any


def sweep_figures(client: Any, parent_run_id: str) -> dict[str, Any]:
    """The sweep's pictures as matplotlib Figures, by name (see ``report.figures``)."""
    from lstm_automl.report.pictures import sweep_figures as build  # defers matplotlib

    return build(client, parent_run_id)


def log_sweep_figures(client: Any, parent_run_id: str) -> list[str]:
    """Log the sweep's pictures as PNG artifacts under ``plots/`` of the parent run."""
    from lstm_automl.report.pictures import log_sweep_figures as log  # defers matplotlib

    return log(client, parent_run_id)


def log_sweep_pictures(client: Any, parent_run_id: str) -> tuple[list[str], Any]:
    """``log_sweep_figures``, and what mattered (``report.importance.Mattered``) for the
    console; the importances are also logged as ``importance_<key>`` metrics on the run."""
    from lstm_automl.report.pictures import log_sweep_pictures as log  # defers matplotlib

    return log(client, parent_run_id)


__all__ = ["log_sweep_figures", "log_sweep_pictures", "sweep_figures"]
