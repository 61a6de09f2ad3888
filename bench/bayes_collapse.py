"""Bayesian search collapsing onto one point: keras-tuner's oracle against lstm-sweep's.

A 10-minute airline sweep trained one configuration 16 times in 53 Bayesian trials: keras-tuner
fits its Gaussian process on the raw objective, and one diverged trial flattened the rest of
the surface, so the acquisition kept choosing the same corner of the space (the edges of every
range are exact values, and choices snap to the same value), and keras-tuner does not check
that a proposal is new.

To keep it cheap and repeatable this drives the oracles alone (no training): a ``kt.Tuner``
whose trials return a synthetic validation loss over the airline sweep's space
(``sweeps/airline.yaml``: cell, layers, units per layer, dropout, log learning rate, batch size,
window_norm, residual). The loss is smooth around a good region (hundredths, like the airline
sweep's val_loss on logs), and a simple_rnn with a learning rate above 0.01 diverges to a loss
of thousands (``--outlier``), as a diverged but finite trial does; ``--outlier inf`` is a
validation loss that overflowed, which keras-tuner's ``nan_to_num`` turns into 0, the best score
of all. ``--space discrete`` writes dropout and learning rate as choices, so that every point
the acquisition picks snaps onto a grid of exact values. Both oracles start from the same random
points (same seed, same ``num_initial_points``) and run the same number of trials; only the
Gaussian process (raw objective against ``gp_targets``) and the check for tried points differ.

Reported per seed: diverged trials in the random start, repeated points (trials whose values
equal an earlier trial's), distinct points, the best loss; and the totals.
"""

from __future__ import annotations

import math
import tempfile
import time
from typing import Any

import _common
from _common import Target, table

_common.quiet_env()

SEEDS = (2, 3, 4)  # the first seeds whose 10 random trials include a diverged one


# --space discrete: dropout and learning rate as choices, as many sweeps write them; --outlier:
# the diverged trials' loss (inf: a validation loss that overflowed).
SETTINGS: dict[str, Any] = {"discrete": False, "outlier": 2500.0}


def space(hp: Any) -> None:
    """The searched part of sweeps/airline.yaml, as keras-tuner hyperparameters."""
    hp.Choice("cell", ["lstm", "gru", "simple_rnn"])
    layers = hp.Int("layers", 1, 2)
    for index in range(2):
        if index < layers:
            hp.Choice(f"units_{index}", [8, 16, 32])
    if SETTINGS["discrete"]:
        hp.Choice("dropout", [0.0, 0.1, 0.2])
        hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2, 3e-2])
    else:
        hp.Float("dropout", 0.0, 0.2)
        hp.Float("learning_rate", 1e-3, 3e-2, sampling="log")
    hp.Choice("batch_size", [8, 16])
    hp.Choice("window_norm", ["none", "last"])
    hp.Choice("residual", ["none", "seasonal_naive"])


def loss(values: dict[str, Any]) -> float:
    """A validation loss: best near lr 0.005, gru, 16 units, little dropout, both tricks on."""
    lr = math.log10(values["learning_rate"])
    if values["cell"] == "simple_rnn" and lr > -2.0:
        return float(SETTINGS["outlier"])  # diverged: the outlier
    cost = 1.0 + 4.0 * (lr + 2.3) ** 2 + 20.0 * (values["dropout"] - 0.05) ** 2
    cost += {"gru": 0.0, "lstm": 0.15, "simple_rnn": 0.6}[values["cell"]]
    cost += 0.2 * (values["layers"] - 1) + 0.3 * abs(math.log2(values["units_0"] / 16))
    cost += 0.1 * (values["batch_size"] == 16)
    cost += 0.8 * (values["window_norm"] == "none") + 1.2 * (values["residual"] == "none")
    return 0.004 * cost


def search(tuner_class: type, seed: int, trials: int, start: int) -> list[Any]:
    """Run ``trials`` trials of ``tuner_class`` on the synthetic loss; the oracle's trials."""

    class Synthetic(tuner_class):  # type: ignore[misc,valid-type]
        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            return {"val_loss": loss(trial.hyperparameters.values)}

    import keras_tuner as kt

    with tempfile.TemporaryDirectory() as folder:
        tuner = Synthetic(hypermodel=space, objective=kt.Objective("val_loss", "min"),
                          max_trials=trials, num_initial_points=start, seed=seed,
                          directory=folder, project_name="collapse")
        tuner.search(verbose=0)
        return [tuner.oracle.trials[tid] for tid in sorted(tuner.oracle.trials)]


def census(trials: list[Any], start: int) -> dict[str, Any]:
    points = [tuple(sorted(t.hyperparameters.values.items())) for t in trials]
    scores = [float(t.score) for t in trials if t.score is not None]
    return {"outliers": sum(s > 1.0 for s in scores[:start]), "trials": len(trials),
            "repeated": len(points) - len(set(points)), "distinct": len(set(points)),
            "best": min(scores)}


def main() -> None:
    parser = _common.parser(__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30, help="trials per search (default 30)")
    parser.add_argument("--start", type=int, default=10,
                        help="random trials before the Gaussian process (default 10)")
    parser.add_argument("--space", choices=("airline", "discrete"), default="airline",
                        help="airline: its ranges as written; discrete: dropout and learning "
                             "rate as choices (every value of the space then a choice)")
    parser.add_argument("--outlier", type=float, default=SETTINGS["outlier"],
                        help="loss of a diverged trial (default 2500; inf: keras-tuner turns it "
                             "into 0, the best score)")
    args = parser.parse_args()
    SETTINGS.update(discrete=args.space == "discrete", outlier=args.outlier)
    trials, start, seeds = (8, 4, SEEDS[:1]) if args.quick else (args.trials, args.start, SEEDS)
    import keras_tuner as kt

    from lstm_automl.tuning.bayesian import SearchedSpaceBayesianOptimization

    began = time.perf_counter()
    rows, totals = [], {"keras-tuner": [0, 0], "lstm-sweep": [0, 0]}
    for seed in seeds:
        for name, tuner_class in (("keras-tuner", kt.BayesianOptimization),
                                  ("lstm-sweep", SearchedSpaceBayesianOptimization)):
            found = census(search(tuner_class, seed, trials, start), start)
            totals[name][0] += found["repeated"]
            totals[name][1] += found["trials"]
            rows.append([seed, name, found["outliers"], found["trials"], found["repeated"],
                         found["distinct"], f"{found['best']:.5f}"])
            print(rows[-1], flush=True)
    body = [table(["seed", "oracle", "diverged in the random start", "trials", "repeated points",
                   "distinct points", "best val_loss"], rows)]
    after = totals["lstm-sweep"][0]
    targets = [Target("no repeated point while untried ones exist",
                      f"lstm-sweep {after} repeated of {totals['lstm-sweep'][1]} trials, "
                      f"keras-tuner {totals['keras-tuner'][0]} of {totals['keras-tuner'][1]}",
                      None if args.quick else after == 0)]
    _common.report(args, "Bayesian search: repeated points (oracle alone, synthetic loss)",
                   f"{args.space} space, diverged loss {args.outlier:g}, {trials} trials, {start} "
                   f"random first, seeds "
                   f"{', '.join(map(str, seeds))}", body, targets, started=began)


if __name__ == "__main__":
    main()
