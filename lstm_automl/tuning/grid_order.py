"""Grid search that visits a grid larger than ``max_trials`` evenly or at random.

keras-tuner's ``GridSearch`` walks the grid in order, the last parameter changing fastest: with
81 cells and 50 trials the first parameter's last value is never tried. ``tuner.grid_order``:

* ``sequential``: keras-tuner's walk, unchanged;
* ``even``: cell k changes every parameter at once (each parameter's value index is the sum of
  the digits of k up to it, modulo its count, a bijection on the grid), so the first trials
  already try every value of every parameter: as many trials as the parameter with the most
  values has values, per structure (each combination of layer counts and other parents of
  conditional values is a block of the grid, visited in turn);
* ``random``: a seeded random subset, without repeats.

The cells come from keras-tuner's own space (``oracle.hyperparameters``), so searched data
settings, ratio widths and a ``model.python`` function's hyperparameters are all in the grid.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

import keras_tuner as kt

GRID_ORDERS = ("sequential", "even", "random")


@dataclass
class Block:
    """The cells of one structure: fixed parent values, then a product of the active rest."""

    parents: dict[str, Any]
    axes: list[tuple[str, list[Any]]]  # most values first: the fastest-changing digit

    @property
    def size(self) -> int:
        total = 1
        for _, values in self.axes:
            total *= len(values)
        return total

    def cell(self, index: int, even: bool) -> dict[str, Any]:
        """Cell ``index`` (0 <= index < size): plain mixed radix, or the even visit order."""
        values = dict(self.parents)
        carried = 0
        for name, options in self.axes:
            digit = index % len(options)
            index //= len(options)
            values[name] = options[(digit + carried) % len(options) if even else digit]
            carried += digit
        return values


def _holds(hp: Any, chosen: dict[str, Any]) -> bool:
    return all(c.name in chosen and chosen[c.name] in c.values for c in hp.conditions)


def grid_blocks(space: list[Any]) -> list[Block]:
    """The grid of a keras-tuner space as blocks, one per combination of parent values."""
    parents = {c.name for hp in space for c in hp.conditions}
    blocks: list[Block] = []

    def walk(position: int, chosen: dict[str, Any]) -> None:
        for index in range(position, len(space)):
            hp = space[index]
            if hp.name in parents and _holds(hp, chosen) and hp.name not in chosen:
                for value in list(hp.values):
                    walk(index + 1, {**chosen, hp.name: value})
                return
        axes = [(hp.name, list(hp.values)) for hp in space
                if hp.name not in parents and _holds(hp, chosen)]
        axes.sort(key=lambda axis: -len(axis[1]))
        blocks.append(Block(chosen, axes))

    walk(0, {})
    return blocks


def visit_order(blocks: list[Block], order: str, seed: int) -> Any:
    """Cells in the order ``order`` visits them, lazily, each once."""
    if order == "random":
        total = sum(b.size for b in blocks)
        rng, seen = random.Random(seed), set[int]()
        while len(seen) < total:
            index = rng.randrange(total)
            if index in seen:
                continue
            seen.add(index)
            for block in blocks:
                if index < block.size:
                    yield block.cell(index, even=False)
                    break
                index -= block.size
        return
    # even: the blocks in turn, each from its own offset, so early trials differ in everything
    visits = [0] * len(blocks)
    for _ in itertools.count():
        open_blocks = [b for b, block in enumerate(blocks) if visits[b] < block.size]
        if not open_blocks:
            return
        for b in open_blocks:
            block = blocks[b]
            yield block.cell((visits[b] + b) % block.size, even=True)
            visits[b] += 1


class OrderedGridOracle(kt.Oracle):
    """An oracle that hands out the grid's cells in ``grid_order`` (``even`` or ``random``)."""

    def __init__(self, grid_order: str = "even", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grid_order = grid_order

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        blocks = grid_blocks(self.hyperparameters.space)
        wanted = len(self.trials)  # cells already handed out, earlier sessions included
        cell = next(itertools.islice(visit_order(blocks, self.grid_order, self.seed or 0),
                                     wanted, None), None)
        if cell is None:
            return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
        return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": cell}

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "grid_order": self.grid_order}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.grid_order = state.get("grid_order", self.grid_order)


class OrderedGridSearch(kt.Tuner):
    """keras-tuner's Tuner over an ``OrderedGridOracle``, with GridSearch's arguments."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_trials: int = 10,
                 seed: int | None = None, hyperparameters: Any = None,
                 tune_new_entries: bool = True, allow_new_entries: bool = True,
                 max_retries_per_trial: int = 0, max_consecutive_failed_trials: int = 3,
                 grid_order: str = "even", **kwargs: Any) -> None:
        oracle = OrderedGridOracle(
            grid_order, objective=objective, max_trials=max_trials, seed=seed,
            hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries, max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle, hypermodel, **kwargs)
