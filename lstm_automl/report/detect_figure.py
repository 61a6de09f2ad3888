"""The picture of an anomaly detector's test split (``task: detect``): the series with its
labelled anomaly windows shaded and the flagged steps marked, and below it the score against
the threshold chosen on validation, so misses and false alarms can be seen at a glance."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lstm_automl.report.figures import time_axis
from lstm_automl.report.leaderboard import metric_text, outcome
from lstm_automl.tracking.read_back import Sweep

DETECT_COLUMNS = {"actual", "predicted", "score", "flag"}
HEADLINE = ("f1", "precision", "recall", "event_f1", "range_f1", "pa_f1")


def anomaly_flags(sweep: Sweep, frame: Any) -> Figure | None:
    """None unless ``frame`` (``test_predictions.csv``) is a detector's: row, time, actual,
    predicted, score, flag and the label column last."""
    if frame is None or frame.empty or not DETECT_COLUMNS <= set(frame.columns):
        return None
    label = frame.columns[-1]
    x, x_label = time_axis(frame)
    fig = Figure(figsize=(10, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    truth = frame[label].to_numpy() != 0
    pad = max(1, len(x) // 200)  # a one-step anomaly stays visible on a long axis
    for start, stop in _runs(truth):
        for ax in (top, bottom):
            ax.axvspan(x[max(0, start - pad)], x[min(stop - 1 + pad, len(x) - 1)],
                       color="#f4a582", alpha=0.45, linewidth=0)
    top.plot(x, frame["actual"], color="black", linewidth=1.0, label="actual")
    result = outcome(sweep)
    rebuilt = "reconstruction_mae" in result.test  # data.scorer: autoencoder
    top.plot(x, frame["predicted"], color="#1f77b4", linewidth=1.0, linestyle="--",
             label="reconstruction" if rebuilt else "forecast, 1 step ahead")
    flagged = frame["flag"].to_numpy() != 0
    top.scatter(np.asarray(x)[flagged], frame["actual"].to_numpy()[flagged], color="#b2182b",
                s=14, zorder=3, label="flagged")
    top.set_ylabel("value (original units)")
    top.legend(loc="upper left", fontsize=8, ncol=3, frameon=False)
    bottom.plot(x, frame["score"], color="#4d4d4d", linewidth=0.9, label="score")
    threshold = result.test.get("threshold", _threshold(frame))
    if threshold is not None:
        bottom.axhline(threshold, color="#b2182b", linewidth=1.0, linestyle=":",
                       label=f"threshold {threshold:.4g} (chosen on validation)")
    bottom.set_ylabel("score: mean |rebuilt - actual|, scaled" if rebuilt else "score: |error|")
    bottom.set_xlabel(x_label)
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle(f"Sweep '{sweep.name}': test-split anomaly flags (shaded: labelled "
                 f"anomalies)")
    shown = {k: v for k, v in result.test.items() if k in HEADLINE}
    scores = "network on test: " + metric_text(shown)
    if result.best_baseline and result.primary:
        base = result.baselines[result.best_baseline].get(result.primary)
        scores += f"; strongest baseline ({result.best_baseline}): {result.primary} {base:.4g}"
    top.set_title(scores, fontsize=9, color="#444444")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    return fig


def _threshold(frame: Any) -> float | None:
    """The lowest flagged score: the threshold as the flags show it (a sweep read back
    without its test metrics)."""
    flagged = frame["score"][frame["flag"] != 0]
    return float(flagged.min()) if len(flagged) else None


def _runs(truth: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[0], truth.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
