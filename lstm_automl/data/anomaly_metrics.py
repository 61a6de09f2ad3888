"""Anomaly-detection metrics on 0/1 flags, and the rule that turns scores into flags.

Point metrics treat every step alone. An anomaly is usually a window of steps, and an operator
is alerted by any flag inside it, so three event-aware views are reported beside them:

* event-wise: an anomaly window counts as detected when any of its steps is flagged; event
  recall with point precision, and their harmonic mean (the "composite" F-score of Garg et al.
  2021), so that flagging every step does not score well;
* range-based precision and recall (Tatbul et al. 2018) with alpha = 0 (no existence reward),
  a flat positional bias and cardinality factor 1: the mean share of each true window that is
  flagged, and the mean share of each flagged run that lies inside true windows;
* point-adjusted F1 (Xu et al. 2018): every step of a detected window counts as found. It is
  known to flatter detectors (one lucky flag finds a long window), so it is reported, never
  used to choose.

NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THRESHOLD_RULE_TEXT = {
    "best_f1": "the validation score with the highest point F1 on the validation labels",
    "quantile": "the {q:g} quantile of the validation scores",
}


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of consecutive 1s, stop exclusive."""
    padded = np.concatenate([[0], np.asarray(flags, dtype=np.int8) != 0, [0]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


def point_scores(labels: np.ndarray, flags: np.ndarray) -> tuple[float, float, float]:
    """(precision, recall, F1) over steps; 0 where a count it divides by is 0."""
    truth, flagged = np.asarray(labels) != 0, np.asarray(flags) != 0
    hits = int(np.sum(truth & flagged))
    precision = hits / int(flagged.sum()) if flagged.any() else 0.0
    recall = hits / int(truth.sum()) if truth.any() else 0.0
    return precision, recall, _f1(precision, recall)


def event_recall(labels: np.ndarray, flags: np.ndarray) -> float:
    """Share of true anomaly windows with at least one flagged step."""
    events = runs(labels)
    flagged = np.asarray(flags) != 0
    if not events:
        return 0.0
    return sum(bool(flagged[a:b].any()) for a, b in events) / len(events)


def range_scores(labels: np.ndarray, flags: np.ndarray) -> tuple[float, float, float]:
    """Range-based (precision, recall, F1) of Tatbul et al. 2018 with alpha 0, flat bias and
    cardinality 1: the mean covered share of the flagged runs and of the true windows."""
    truth, flagged = np.asarray(labels) != 0, np.asarray(flags) != 0
    real, predicted = runs(truth), runs(flagged)
    recall = float(np.mean([flagged[a:b].mean() for a, b in real])) if real else 0.0
    precision = float(np.mean([truth[a:b].mean() for a, b in predicted])) if predicted else 0.0
    return precision, recall, _f1(precision, recall)


def point_adjusted(labels: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """The flags with every step of a detected true window set (point adjustment)."""
    adjusted = np.asarray(flags) != 0
    adjusted = adjusted.copy()
    for a, b in runs(labels):
        if adjusted[a:b].any():
            adjusted[a:b] = True
    return adjusted


def detection_metrics(labels: np.ndarray, flags: np.ndarray) -> dict[str, float]:
    """Every metric of one detector on one split, by the names the sweep logs them under."""
    precision, recall, f1 = point_scores(labels, flags)
    events = event_recall(labels, flags)
    r_precision, r_recall, r_f1 = range_scores(labels, flags)
    return {
        "f1": f1, "precision": precision, "recall": recall,
        "event_recall": events, "event_f1": _f1(precision, events),
        "range_precision": r_precision, "range_recall": r_recall, "range_f1": r_f1,
        "pa_f1": point_scores(labels, point_adjusted(labels, flags))[2],
        "flagged": float(np.sum(np.asarray(flags) != 0)),
    }


@dataclass(frozen=True)
class Threshold:
    """A score threshold (flag: score >= value) and the rule that chose it, in words."""

    value: float
    rule: str

    def flags(self, scores: np.ndarray) -> np.ndarray:
        return (np.asarray(scores, dtype=np.float64) >= self.value).astype(np.int64)


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score that, as a threshold, gives the highest point F1 on ``labels`` (ties: the
    highest such score, which flags the fewest steps)."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(labels) != 0
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(truth[order])
    last = np.r_[ranked[1:] != ranked[:-1], True]  # the last position of each distinct score
    flagged = np.arange(1, len(scores) + 1)[last]
    tp = hits[last]
    f1 = 2 * tp / (flagged + truth.sum())
    return float(ranked[last][int(np.argmax(f1))])


def choose_threshold(scores: np.ndarray, labels: np.ndarray, rule: str,
                     quantile: float) -> Threshold:
    """The threshold of ``rule`` (``best_f1`` or ``quantile``) on validation scores and labels;
    best_f1 falls back to the quantile where validation holds no anomaly."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        raise ValueError("no validation scores to choose a threshold on")
    q_text = THRESHOLD_RULE_TEXT["quantile"].format(q=quantile)
    if rule == "best_f1":
        if np.any(np.asarray(labels) != 0):
            return Threshold(best_f1_threshold(scores, labels), THRESHOLD_RULE_TEXT["best_f1"])
        q_text += " (validation holds no labelled anomaly, so best_f1 fell back to it)"
    elif rule != "quantile":
        raise ValueError(f"unknown threshold rule {rule!r}")
    return Threshold(float(np.quantile(scores, quantile)), q_text)
