"""Greedy ensemble selection with replacement (Caruana et al., 2004), as AutoGluon weights.

Start from an empty ensemble and, round after round, add the member (repeats allowed) whose
addition gives the lowest validation loss; a member's weight is how often it was added over
the rounds. The rounds are kept up to the one with the lowest loss, so late rounds that only
drift cannot make the ensemble worse on validation. NumPy only; deterministic: ties go to the
member listed first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

DEFAULT_ROUNDS = 40


def greedy_counts(members: int, loss: Callable[[np.ndarray], float],
                  rounds: int = DEFAULT_ROUNDS, start: np.ndarray | None = None) -> np.ndarray:
    """How often each of ``members`` was chosen; ``loss(weights)`` scores a weight vector
    (summing to 1) on validation data, lower being better. ``start``: counts the ensemble
    begins with (kept if no round improves on them)."""
    if members < 1 or rounds < 1:
        raise ValueError("greedy selection needs at least one member and one round")
    counts = np.zeros(members, dtype=np.int64) if start is None else \
        np.asarray(start, dtype=np.int64).copy()
    best_counts, best_loss = counts, float("inf")
    if counts.any():
        best_loss = float(loss(counts / counts.sum()))
    for _ in range(rounds):
        scores = []
        for j in range(members):
            trial = counts.copy()
            trial[j] += 1
            value = float(loss(trial / trial.sum()))
            scores.append(value if np.isfinite(value) else float("inf"))
        pick = int(np.argmin(scores))  # the first of equal scores
        counts = counts.copy()
        counts[pick] += 1
        if scores[pick] < best_loss:
            best_counts, best_loss = counts, scores[pick]
    if not best_counts.any():  # every blend scored inf: the first member alone
        best_counts = np.eye(members, dtype=np.int64)[0]
    return best_counts


def greedy_weights(members: int, loss: Callable[[np.ndarray], float],
                   rounds: int = DEFAULT_ROUNDS) -> np.ndarray:
    """Weights (summing to 1) of the greedy selection: counts over the rounds kept."""
    counts = greedy_counts(members, loss, rounds)
    return counts / counts.sum()


def paired_t(forecast: Callable[[np.ndarray], np.ndarray], actual: np.ndarray,
             candidate: np.ndarray, reference: np.ndarray) -> float:
    """How clearly the blend of ``candidate`` weights beats that of ``reference`` on
    validation: the paired t statistic of the windows' squared-error gains (0 where they do
    not vary or there is one window). ``forecast(weights)``: forecasts shaped like ``actual``."""
    def errors(weights: np.ndarray) -> np.ndarray:
        return ((forecast(weights) - actual) ** 2).reshape(len(actual), -1).sum(axis=1)

    gain = errors(reference) - errors(candidate)
    spread = float(gain.std(ddof=1)) if len(gain) > 1 else 0.0
    if not spread > 0.0 or not np.isfinite(spread):
        return 0.0
    return float(gain.mean()) / (spread / np.sqrt(len(gain)))


def average_loss(predictions: list[np.ndarray], actual: np.ndarray,
                 metric: Callable[[np.ndarray, np.ndarray], float]) -> Callable[[np.ndarray],
                                                                                 float]:
    """The loss of a weighted average of fixed ``predictions`` against ``actual``."""
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])

    def loss(weights: np.ndarray) -> float:
        return metric(actual, np.tensordot(weights, stacked, axes=1))

    return loss


__all__ = ["DEFAULT_ROUNDS", "average_loss", "paired_t", "greedy_counts", "greedy_weights"]
