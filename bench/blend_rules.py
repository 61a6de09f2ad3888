"""Blend weight rules compared offline on the forecasts blended sweeps logged.

Every sweep with ``final_model.blend: with_baselines`` logs ``blend/members.npz`` on its run:
each member's validation and test forecasts (original units), the actual values and the
weights it chose. This script reads such files (one folder per sweep, holding
``members.npz`` and ``summary.json``), applies each candidate rule to the validation arrays
and scores its weights on the test arrays, so one sweep per series and seed serves every rule.
It prints, per sweep and rule, the test RMSE and its ratio to the strongest baseline's, then
the median ratio and the wins per rule; where a series ran with several seeds (folders
``KEY-sSEED``), also each series' median over its seeds and the median of those. Folders
named ``HELDOUT_*`` or ``heldout-*`` (as ``bench/quality.py --heldout --keep`` names them) are
skipped unless ``--heldout`` (choose the rule on the other series first:
datasets/heldout/README.md).

    python bench/blend_rules.py /tmp/runs/*/            # dev series
    python bench/blend_rules.py --heldout /tmp/runs/*/  # held-out too, once the rule is chosen
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lstm_automl.model.greedy import (
    average_loss,
    greedy_counts,
    greedy_weights,
    paired_t,
)

Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def _loss(val: np.ndarray, actual: np.ndarray) -> Callable[[np.ndarray], float]:
    return average_loss(list(val), actual, rmse)


def _alone(val: np.ndarray, actual: np.ndarray, pool: np.ndarray) -> int:
    scores = [rmse(actual, v) if ok else np.inf for v, ok in zip(val, pool, strict=True)]
    return int(np.argmin(scores))


def greedy(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
    return greedy_weights(len(val), _loss(val, actual))


def seeded(copies: int) -> Rule:
    """Greedy selection whose ensemble starts as ``copies`` copies of the best baseline."""

    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        start = np.zeros(len(val), dtype=np.int64)
        start[_alone(val, actual, ~nets)] = copies
        loss = _loss(val, actual)
        counts = greedy_counts(len(val), loss, 40, start=start)
        return counts / counts.sum()

    return rule


def pooled(inner: Rule) -> Rule:
    """``inner`` applied with the networks pooled into one member (their equal mean)."""

    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        if not nets.any():
            return inner(val, actual, nets)
        merged = np.concatenate([val[nets].mean(axis=0)[None], val[~nets]])
        flags = np.r_[True, np.zeros((~nets).sum(), dtype=bool)]
        inner_w = inner(merged, actual, flags)
        weights = np.zeros(len(val))
        weights[nets] = inner_w[0] / nets.sum()
        weights[~nets] = inner_w[1:]
        return weights

    return rule


def best_baseline(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
    return np.eye(len(val))[_alone(val, actual, ~nets)]


def baselines_greedy(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
    weights = np.zeros(len(val))
    keep = np.flatnonzero(~nets)
    weights[keep] = greedy_weights(len(keep), _loss(val[keep], actual))
    return weights


def top_mean(k: int) -> Rule:
    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        order = np.argsort([rmse(actual, v) for v in val], kind="stable")[:k]
        weights = np.zeros(len(val))
        weights[order] = 1.0 / len(order)
        return weights

    return rule


def shrunk(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
    return 0.5 * greedy(val, actual, nets) + 0.5 * best_baseline(val, actual, nets)


def pool_and_baselines(k: int) -> Rule:
    """Equal weights for the network pool (the networks' mean, as one member) and the ``k``
    best validated baselines: the "forecast combination puzzle" (Stock and Watson 2004; Smith
    and Wallis 2009) is that such simple averages often beat weights estimated on a short
    validation split, whose estimation error costs more than the weights gain. Nothing is
    fitted but the ranking of the baselines."""

    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        bases = np.flatnonzero(~nets)
        ranked = bases[np.argsort([rmse(actual, val[j]) for j in bases], kind="stable")][:k]
        weights = np.zeros(len(val))
        parts = len(ranked) + (1 if nets.any() else 0)
        weights[ranked] = 1.0 / parts
        if nets.any():
            weights[nets] = 1.0 / parts / nets.sum()
        return weights

    return rule


def shrink_toward(estimated: Rule, target: Rule, share: float) -> Rule:
    """``share`` of the ``estimated`` weights plus the rest of the ``target``'s: shrinkage of
    estimated combination weights toward equal ones (Diebold and Pauly 1990), with a fixed
    share rather than one fitted on these series."""

    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        return share * estimated(val, actual, nets) + (1 - share) * target(val, actual, nets)

    return rule


def gate(fallback: Rule, z: float) -> Rule:
    """Greedy over everything, kept only if its validation gain over ``fallback``'s weights
    passes a one-sided paired t-test on the windows' squared errors (``z``)."""

    def rule(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
        chosen, other = greedy(val, actual, nets), fallback(val, actual, nets)
        t = paired_t(lambda w: np.tensordot(w, val, 1), actual, chosen, other)
        return chosen if t > z else other

    return rule


def shipped(val: np.ndarray, actual: np.ndarray, nets: np.ndarray) -> np.ndarray:
    """``model/blend.py``'s own rule, on these arrays (networks already in original units)."""
    from lstm_automl.model.blend import _Members, choose_weights

    names = [f"m{j}" for j in range(len(val))]
    members = _Members(names, list(val[nets]), dict(zip(
        [n for n, net in zip(names, nets, strict=True) if not net], val[~nets], strict=True)))
    order = np.r_[np.flatnonzero(nets), np.flatnonzero(~nets)]

    def forecast(weights: np.ndarray) -> np.ndarray:
        return np.tensordot(weights, val[order], 1)

    weights, _ = choose_weights(members, lambda w: rmse(actual, forecast(w)))
    out = np.zeros(len(val))
    out[order] = weights
    return out


RULES: dict[str, Rule] = {
    "shipped": shipped,
    "a greedy": greedy,
    "a greedy 8 rounds": lambda v, a, n: greedy_weights(len(v), _loss(v, a), 8),
    "b seeded x5": seeded(5),
    "b seeded x10": seeded(10),
    "d gate->best base z1.0": gate(best_baseline, 1.0),
    "d gate->best base z1.28": gate(best_baseline, 1.28),
    "d gate->best base z1.64": gate(best_baseline, 1.64),
    "d gate->base greedy z1.28": gate(baselines_greedy, 1.28),
    "d gate->base greedy z1.64": gate(baselines_greedy, 1.64),
    "g pooled greedy": pooled(greedy),
    "g pooled gate->base greedy z1.28": pooled(gate(baselines_greedy, 1.28)),
    "g pooled gate->best base z1.28": pooled(gate(best_baseline, 1.28)),
    "e top3 mean": top_mean(3),
    "e top5 mean": top_mean(5),
    "shrink half": shrunk,
    "h pool+best base mean": pool_and_baselines(1),
    "h pool+top2 base mean": pool_and_baselines(2),
    "h pooled greedy half to pool+top2": shrink_toward(pooled(greedy), pool_and_baselines(2),
                                                       0.5),
    "best baseline": best_baseline,
    "baselines greedy": baselines_greedy,
}


def score(folder: Path) -> tuple[float, dict[str, float]]:
    """The strongest baseline's test RMSE (from summary.json) and each rule's."""
    arrays = np.load(folder / "members.npz")
    summary = json.loads((folder / "summary.json").read_text())
    strongest = summary["baselines"][summary["strongest_baseline"]]["rmse"]
    val, test = arrays["validation"], arrays["test"]
    nets, actual = arrays["is_network"].astype(bool), arrays["actual_validation"]
    out = {name: rmse(arrays["actual_test"], np.tensordot(rule(val, actual, nets), test, 1))
           for name, rule in RULES.items()}
    out["logged"] = summary["test_metrics"]["rmse"]
    return strongest, out


def series_of(folder: str) -> str:
    """The series a kept folder belongs to: its name without the ``-sSEED`` that
    ``bench/quality.py --keep`` appends, so seeds of one series are summarised together."""
    head, _, seed = folder.rpartition("-s")
    return head if head and seed.isdigit() else folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--heldout", action="store_true", help="include HELDOUT_* folders")
    p.add_argument("--rule", action="append", default=[],
                   help="show only this rule (repeatable; default: every rule)")
    args = p.parse_args()
    if args.rule:
        for name in [n for n in RULES if n not in args.rule]:
            del RULES[name]
    ratios: dict[str, list[float]] = {}
    names: list[str] = []  # each scored folder's series, in the order of ``ratios``' lists
    print("| sweep | strongest baseline | " + " | ".join(["logged", *RULES]) + " |")
    for folder in sorted(args.folders):
        if not (folder / "members.npz").exists() or (
                folder.name.startswith(("HELDOUT_", "heldout-")) and not args.heldout):
            continue
        strongest, scores = score(folder)
        cells = [f"{scores['logged']:.4g}"] + [f"{scores[n]:.4g} ({scores[n] / strongest:.3f})"
                                                for n in RULES]
        print(f"| {folder.name} | {strongest:.4g} | " + " | ".join(cells) + " |")
        for name in RULES:
            ratios.setdefault(name, []).append(scores[name] / strongest)
        names.append(series_of(folder.name))
    series = list(dict.fromkeys(names))
    print()
    for name, values in ratios.items():
        wins = sum(v < 1 for v in values)
        print(f"{name:34s} median {statistics.median(values):.3f}  mean "
              f"{statistics.fmean(values):.3f}  worst {max(values):.3f}  wins {wins}/{len(values)}")
    if len(series) < len(names):
        print("\nover seeds (each series' median ratio, then the median over series):")
        for name, values in ratios.items():
            medians = [statistics.median(v for v, s in zip(values, names, strict=True)
                                         if s == one) for one in series]
            wins = sum(m < 1 for m in medians)
            print(f"{name:34s} median {statistics.median(medians):.3f}  worst "
                  f"{max(medians):.3f}  wins {wins}/{len(medians)}  ("
                  + ", ".join(f"{one} {m:.3f}" for one, m in zip(series, medians, strict=True))
                  + ")")


if __name__ == "__main__":
    main()
