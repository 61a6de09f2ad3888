"""Several target columns forecast at once: output layout, per-target metrics, the headline.

The model predicts ``horizon x n_targets`` values per window, target-major: output column
``j * horizon + k`` is target ``j`` at step ``k + 1``. Each target is scaled on its own (the
target scaler has one column per target), so the loss weighs them alike.

Metrics are reported per target in that target's own units (``rmse_<target>``), and a unitless
headline that the registry and the objective-free comparisons use: the mean over targets of
each target's error divided by its training-split standard deviation (load in MW and
temperature in degrees count alike). MAPE is unitless already: its headline is the plain mean.
A single target keeps its plain metrics (no suffix, no headline rescaling).

NumPy only, like ``data/metrics.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from lstm_automl.errors import DataError

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\- /]")  # what MLflow allows in a metric or tag name


def metric_suffix(target: str) -> str:
    """The target's name as it may appear in an MLflow metric key (``test_rmse_<suffix>``)."""
    return _UNSAFE.sub("_", target)


def suffixes(targets: Sequence[str], path: object) -> list[str]:
    """Metric suffixes of ``targets``; two names that clean to the same key are refused."""
    cleaned = [metric_suffix(t) for t in targets]
    for i, suffix in enumerate(cleaned):
        if cleaned.index(suffix) != i:
            other = targets[cleaned.index(suffix)]
            raise DataError(f"{path}: data.target: columns '{other}' and '{targets[i]}' would "
                            f"share the metric name '{suffix}'; rename one of them")
    return cleaned


def split_targets(values: np.ndarray, n_targets: int) -> list[np.ndarray]:
    """(n, horizon * n_targets) → one (n, horizon) block per target (target-major)."""
    values = np.asarray(values)
    horizon = values.shape[1] // n_targets
    return [values[:, j * horizon:(j + 1) * horizon] for j in range(n_targets)]


def spreads(series: np.ndarray, train_stop: int) -> np.ndarray:
    """Each target's standard deviation over the training rows (1 where it is constant)."""
    spread = np.nanstd(np.asarray(series, dtype=np.float64)[:train_stop], axis=0)
    return np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)


def headline(per_target: dict[str, dict[str, float]], suffix_names: Sequence[str],
             spread: np.ndarray) -> dict[str, float]:
    """The unitless headline of per-target metrics, for the metrics every target has."""
    if any(s not in per_target for s in suffix_names):
        return {}
    out: dict[str, float] = {}
    for name in ("rmse", "mae", "mape"):
        if all(name in per_target[s] for s in suffix_names):
            values = [per_target[s][name] / (1.0 if name == "mape" else spread[j])
                      for j, s in enumerate(suffix_names)]
            out[name] = float(np.mean(values))
    return out


def flatten(per_target: dict[str, dict[str, float]], suffix_names: Sequence[str],
            spread: np.ndarray) -> dict[str, float]:
    """Headline keys first, then ``<metric>_<target>`` for each target."""
    out = headline(per_target, suffix_names, spread)
    for suffix in suffix_names:
        for name, value in per_target.get(suffix, {}).items():
            out[f"{name}_{suffix}"] = value
    return out


__all__ = ["flatten", "headline", "metric_suffix", "split_targets", "spreads", "suffixes"]
