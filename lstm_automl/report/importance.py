"""Which hyperparameters mattered: a functional ANOVA (fANOVA) of a forest of trees fitted to the
trials' scores.

No maintained fANOVA package is installed with lstm-sweep (optuna and fanova are not
dependencies), so the decomposition is computed here on a scikit-learn tree ensemble
(scikit-learn is installed with MLflow), as Hutter, Hoos and Leyton-Brown (2014) define it:
each tree cuts the unit box of encoded hyperparameters into leaf boxes; the variance of the tree's
marginal over one hyperparameter, divided by the tree's total variance, is that hyperparameter's
first-order share. The shares are averaged over the trees. tests/report/test_importance.py
checks them against analytic variance shares of functions whose importances are known.

Encoding, so every trial is a point of the unit box with a uniform measure that matches how the
space was searched: a categorical value, a boolean or a number with few distinct values gets an
equal slice per value; other numbers are scaled over the range seen (on a log scale for learning
rates and for values spanning 30x or more). A value that was inactive in some trials
(``units_1`` of one-layer trials, ``conv_filters`` without the conv front) gets its own slice,
"off".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_automl.config.params import split_layer_key
from lstm_automl.tracking.read_back import SCORED, Sweep, Trial, parse_value

MIN_TRIALS = 8  # below this the forest is guessing: say so instead of drawing bars
TREES = 64
ORDINAL_AT_MOST = 6  # a number with at most this many distinct values is treated as choices
OFF = "off"  # the label of the slice where a conditional value was inactive


@dataclass(frozen=True)
class Feature:
    """One hyperparameter as a coordinate of the unit box."""

    key: str  # the trial param (``units_1``)
    label: str  # what people read (``units (layer 2)``)
    levels: tuple[Any, ...] = ()  # choices in order (categorical or few-valued numbers)
    low: float = 0.0  # continuous: the range seen, on the log scale when ``log``
    high: float = 1.0
    log: bool = False
    off_share: float = 0.0  # the slice [0, off_share) holds the trials where it was inactive

    @property
    def continuous(self) -> bool:
        return not self.levels

    def position(self, value: Any) -> float:
        """Where ``value`` (None: inactive) sits on [0, 1]."""
        if value is None:
            return self.off_share / 2
        start, width = self.off_share, 1.0 - self.off_share
        if self.levels:
            index = self.levels.index(value)
            return start + width * (index + 0.5) / len(self.levels)
        x = math.log10(value) if self.log else float(value)
        span = self.high - self.low
        return start + width * ((x - self.low) / span if span > 0 else 0.5)

    def ticks(self) -> list[tuple[float, str]]:
        """Positions and labels for an axis of this feature."""
        marks = [(self.off_share / 2, OFF)] if self.off_share else []
        if self.levels:
            return marks + [(self.position(v), _short(v)) for v in self.levels]
        values = [self.low, (self.low + self.high) / 2, self.high]
        return marks + [(self.off_share + (1 - self.off_share) * i / 2,
                         _short(10 ** v if self.log else v)) for i, v in enumerate(values)]


@dataclass
class Mattered:
    """The importances of one sweep, or why there are none."""

    trials: list[Trial]  # the scored trials used (completed and pruned)
    features: list[Feature]
    shares: dict[str, float] = field(default_factory=dict)  # key → first-order share, 0..1
    spread: dict[str, float] = field(default_factory=dict)  # key → std over the trees
    log_score: bool = False  # the forest was fitted to log10 of the objective
    reason: str | None = None  # set when no importance is given

    @property
    def pruned(self) -> int:
        return sum(t.status == "pruned" for t in self.trials)

    @property
    def ranked(self) -> list[tuple[Feature, float]]:
        """Features with their share, most important first."""
        by_key = {f.key: f for f in self.features}
        order = sorted(self.shares, key=lambda k: (-self.shares[k], k))
        return [(by_key[k], self.shares[k]) for k in order]

    @property
    def interactions(self) -> float:
        """What the first-order shares leave: interactions between hyperparameters."""
        return max(0.0, 1.0 - sum(self.shares.values()))

    def top_sentence(self, count: int = 3) -> str:
        """``learning_rate 62%, cell 21%, units (layer 1) 9%``, or the reason there is none."""
        if self.reason:
            return self.reason
        return ", ".join(f"{f.label} {share:.0%}" for f, share in self.ranked[:count])


def scored_trials(sweep: Sweep) -> list[Trial]:
    """Trials with a score: completed ones, and pruned ones with the best they reached."""
    return [t for t in sweep.trials if t.status in SCORED and t.score is not None
            and math.isfinite(float(t.score))]


def what_mattered(sweep: Sweep, seed: int = 0) -> Mattered:
    """Importances of the sweep's hyperparameters (``reason`` says why there are none)."""
    trials = scored_trials(sweep)
    features = encode_features(trials)
    found = Mattered(trials, features)
    if len(trials) < MIN_TRIALS:
        found.reason = (f"too few scored trials to tell what mattered: {len(trials)}, at least "
                        f"{MIN_TRIALS} needed")
    elif len(features) < 2:
        only = f" ({features[0].label})" if features else ""
        found.reason = f"only {len(features)} hyperparameter varied{only}: nothing to compare"
    if found.reason:
        return found
    x = np.array([[f.position(value_of(t, f.key)) for f in features] for t in trials])
    y = np.array([float(t.score or 0.0) for t in trials])
    found.log_score = bool(y.min() > 0 and y.max() / y.min() > 10)
    if found.log_score:
        y = np.log10(y)
    shares = fanova_first_order(x, y, seed=seed)
    for index, feature in enumerate(features):
        found.shares[feature.key] = float(shares[:, index].mean())
        found.spread[feature.key] = float(shares[:, index].std())
    return found


def value_of(trial: Trial, key: str) -> Any:
    """The trial's value of ``key`` as a Python value (None: inactive in that trial)."""
    raw = trial.params.get(key)
    return None if raw is None else parse_value(raw)


def encode_features(trials: Sequence[Trial]) -> list[Feature]:
    """A feature for every param that took at least two values (inactive counts as one)."""
    keys = sorted({k for t in trials for k in t.params if not k.startswith("tuner/")})
    features = []
    for key in keys:
        values = [value_of(t, key) for t in trials]
        active = [v for v in values if v is not None]
        distinct = list(dict.fromkeys(active))
        off = len(active) < len(values)
        if len(distinct) + int(off) < 2:
            continue
        share = min(0.9, max(0.1, 1 - len(active) / len(values))) if off else 0.0
        features.append(_feature(key, distinct, share))
    return features


def _feature(key: str, distinct: list[Any], off_share: float) -> Feature:
    label = feature_label(key)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct)
    if not numeric or len(distinct) <= ORDINAL_AT_MOST:
        levels = tuple(sorted(distinct, key=lambda v: (not numeric, v if numeric else str(v))))
        return Feature(key, label, levels=levels, off_share=off_share)
    low, high = float(min(distinct)), float(max(distinct))
    split = split_layer_key(key)
    base = split[0] if split else key
    log = low > 0 and (base == "learning_rate" or (high / low >= 30 and "dropout" not in key))
    if log:
        low, high = math.log10(low), math.log10(high)
    return Feature(key, label, low=low, high=high, log=log, off_share=off_share)


def feature_label(key: str) -> str:
    """``units_1`` → ``units (layer 2)``; other keys as they are."""
    split = split_layer_key(key)
    return f"{split[0]} (layer {split[1] + 1})" if split else key


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


# --- the functional ANOVA of a forest ------------------------------------------------------------

def fanova_first_order(x: np.ndarray, y: np.ndarray, trees: int = TREES,
                       seed: int = 0) -> np.ndarray:
    """Per tree (rows) and feature (columns): the share of the tree's variance over the unit box
    that the feature's own marginal explains. ``x`` must lie in [0, 1]^d.

    Extremely randomised trees (random cut points, every trial in every tree): of the forests
    measured on functions with known shares (tests/report/test_importance.py), they came closest
    with a few dozen trials; bootstrapped best-cut forests gave a minor hyperparameter about half
    its share."""
    from sklearn.ensemble import ExtraTreesRegressor

    forest = ExtraTreesRegressor(n_estimators=trees, max_features=1.0, random_state=seed)
    forest.fit(x, y)
    dims = x.shape[1]
    rows = []
    for estimator in forest.estimators_:
        lower, upper, values = leaf_boxes(estimator.tree_, dims)
        rows.append(tree_shares(lower, upper, values))
    return np.array(rows)


def leaf_boxes(tree: Any, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leaves of a fitted sklearn tree as boxes of the unit cube and their predictions."""
    lowers, uppers, values = [], [], []
    stack = [(0, np.zeros(dims), np.ones(dims))]
    while stack:
        node, low, high = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:  # a leaf
            lowers.append(low)
            uppers.append(high)
            values.append(float(tree.value[node].ravel()[0]))
            continue
        feature, cut = tree.feature[node], min(1.0, max(0.0, float(tree.threshold[node])))
        left_high, right_low = high.copy(), low.copy()
        left_high[feature] = min(high[feature], cut)
        right_low[feature] = max(low[feature], cut)
        stack.append((left, low, left_high))
        stack.append((right, right_low, high))
    return np.array(lowers), np.array(uppers), np.array(values)


def tree_shares(lower: np.ndarray, upper: np.ndarray, values: np.ndarray) -> np.ndarray:
    """First-order variance shares of one tree given by its leaf boxes (0 for a flat tree)."""
    widths = upper - lower
    volume = widths.prod(axis=1)
    mean = float(volume @ values)
    total = float(volume @ (values - mean) ** 2)
    shares = np.zeros(lower.shape[1])
    if total <= 1e-15:
        return shares
    for dim in range(lower.shape[1]):
        cuts = np.unique(np.concatenate([[0.0, 1.0], lower[:, dim], upper[:, dim]]))
        starts, ends = cuts[:-1], cuts[1:]
        lengths = ends - starts
        keep = lengths > 0
        starts, ends, lengths = starts[keep], ends[keep], lengths[keep]
        inside = (lower[:, dim, None] <= starts[None, :]) & (upper[:, dim, None] >= ends[None, :])
        weight = np.divide(volume, widths[:, dim], out=np.zeros_like(volume),
                           where=widths[:, dim] > 0)
        marginal = (weight * values) @ inside
        shares[dim] = float(lengths @ (marginal - mean) ** 2) / total
    return shares
