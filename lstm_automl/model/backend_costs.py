"""``training.backend: auto`` by the sweep's own work: the backend whose estimated training time
for this sweep is the shorter, not the one with the faster epoch.

A trial's time is a fixed part (building the model; tracing its functions on TensorFlow,
compiling them on JAX) plus its training steps. JAX's steps are the faster and its fixed part
the slower, so a sweep of many short trials (the quickstart) can finish sooner on TensorFlow,
and a sweep of long trials sooner on JAX. The estimate is

    trainings x (fixed + epochs x batches per epoch x step)

with the figures in ``AUTO_COSTS``, measured on a 2-core CPU by ``bench/trial_costs.py`` (the
quickstart's shape, an empty compile cache, CPU seconds: the machine was shared). A warm compile
cache would make JAX's fixed part smaller still; the estimate assumes a cold one. ``epochs`` is
the most a trial may train: early stopping only shortens trials, which favours TensorFlow
further. Light: no framework import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lstm_automl.errors import LstmSweepError

# backend -> (fixed seconds per training, seconds per training step): CPU seconds measured by
# bench/trial_costs.py on a 2-core CPU (2026-12-07, loaded; medians of 2 rounds x 4 trials).
AUTO_COSTS: dict[str, tuple[float, float]] = {"tensorflow": (2.2, 0.0112), "jax": (2.8, 0.0012)}


@dataclass(frozen=True)
class SweepWork:
    """What a sweep trains: how many models, and how many steps each at most."""

    trainings: int
    epochs: int
    batches: int  # per epoch

    def seconds(self, backend: str) -> float:
        fixed, step = AUTO_COSTS[backend]
        return self.trainings * (fixed + self.epochs * self.batches * step)

    def text(self) -> str:
        return f"{self.trainings} trainings x {self.epochs} epochs x {self.batches} batches"


def sweep_work(config: Any, train_windows: int) -> SweepWork:
    """The sweep's trials and final-model trainings, each at its most epochs, with the batches
    per epoch averaged over the searched batch sizes (a random search draws them alike)."""
    final = config.final_model
    members = int(final.top_k) * int(final.seeds)
    extra = members if final.refit else members - int(final.top_k)
    sizes = _batch_sizes(config.search.batch_size)
    batches = sum(math.ceil(train_windows / size) for size in sizes) / len(sizes)
    return SweepWork(trainings=int(config.tuner.max_trials) + max(0, extra),
                     epochs=int(config.training.max_epochs()), batches=max(1, round(batches)))


def _batch_sizes(spec: Any) -> list[int]:
    from lstm_automl.config.schema import spec_values  # defers pydantic

    if isinstance(spec, int):
        return [max(1, spec)]
    return [max(1, int(v)) for v in spec_values(spec) or [32]]


def faster_for(work: SweepWork, candidates: list[str]) -> tuple[str, str]:
    """The candidate (of ``AUTO_COSTS``) with the shorter estimate, and why, in one clause."""
    estimates = {name: work.seconds(name) for name in candidates if name in AUTO_COSTS}
    best = min(estimates, key=estimates.__getitem__)
    others = ", ".join(f"{name} ~{seconds:.0f} s" for name, seconds in estimates.items()
                       if name != best)
    return best, (f"auto: faster for this sweep: ~{estimates[best]:.0f} s of training against "
                  f"{others} ({work.text()}; {_costs_text(estimates)})")


def _costs_text(estimates: dict[str, float]) -> str:
    return ", ".join(f"{name} {AUTO_COSTS[name][0]:.1f} s per model + "
                     f"{1000 * AUTO_COSTS[name][1]:.1f} ms per step" for name in estimates)


def work_of(loaded: Any) -> Any:
    """``select_backend``'s ``work`` for a loaded sweep: reads its data when ``auto`` asks (the
    session reads it again, and reports a data error itself: here it only means not known)."""

    def work() -> SweepWork | None:
        from lstm_automl.data import load_data  # defers pydantic

        try:
            data = load_data(loaded)
        except LstmSweepError:
            return None
        return sweep_work(loaded.config, len(data.splits["train"].x))

    return work
