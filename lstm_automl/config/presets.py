"""Presets: what a sweep file that names only its data and search space gets for the rest.

``preset: fast | good | best`` (default ``good``; ``none``: every key keeps its schema default)
sets the budget keys the file does not write (tuner, training, final_model); for a forecast,
``sweep_file/preset.py`` adds the choices the training rows decide (transform, lookback, window
level, hybrid residuals) and, for one series, ``final_model.blend: with_baselines``; a classifier
of numeric sequences gets ``search.fcn_branch: true``. Calendar
inputs stay off: on the quickstart they gained nothing over four seeds (bench/runs/2026-12.md).
One function per preset lists its budget, so a new budget key is added in one place per preset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

PRESET_NAMES = ("none", "fast", "good", "best")
DEFAULT_PRESET = "good"
# Where a file does not name a preset: this variable's value, else DEFAULT_PRESET. The test
# suite sets it to none, so its small sweeps keep the schema's defaults.
PRESET_ENV = "LSTM_SWEEP_PRESET"


@dataclass(frozen=True)
class Preset:
    """One preset's budget: section -> key -> value, and how much of the hybrid space it
    searches."""

    name: str
    budget: dict[str, dict[str, Any]]
    hybrids: tuple[str, ...]  # residuals searched beyond none and the (seasonal) naive one
    cost: str  # what a user pays, for validate's line
    notes: dict[str, str] = field(default_factory=dict)


def fast() -> Preset:
    """A first look: 8 random trials of up to 30 epochs, the 3 best averaged and refit."""
    return Preset("fast", {
        "tuner": {"algorithm": "random", "max_trials": 8},
        "training": {"epochs": 30, "early_stopping_patience": 5},
        "final_model": {"top_k": 3, "seeds": 1, "refit": True},
    }, hybrids=(), cost="8 trials x 30 epochs + 3 refits")


def good() -> Preset:
    """The airline recipe (sweeps/airline.yaml, bench/RESULTS.md): bayesian search over 20
    trials of up to 60 epochs, the 5 best x 2 seeds refit on train + validation."""
    return Preset("good", {
        "tuner": {"algorithm": "bayesian", "max_trials": 20},
        "training": {"epochs": 60, "early_stopping_patience": 8},
        "final_model": {"top_k": 5, "seeds": 2, "refit": True},
    }, hybrids=("ar",), cost="20 trials x 60 epochs + 10 refits")


def best() -> Preset:
    """More of everything: 40 bayesian trials of up to 100 epochs, the 5 best x 3 seeds, and
    the ETS hybrid searched too."""
    return Preset("best", {
        "tuner": {"algorithm": "bayesian", "max_trials": 40},
        "training": {"epochs": 100, "early_stopping_patience": 12},
        "final_model": {"top_k": 5, "seeds": 3, "refit": True},
    }, hybrids=("ar", "ets"), cost="40 trials x 100 epochs + 15 refits")


PRESETS = {"fast": fast, "good": good, "best": best}


def preset_name(raw: dict[str, Any]) -> str:
    """The preset a parsed sweep file asks for (its ``preset`` key, else the environment's,
    else ``good``); a value that is not a name is returned as is, for the schema to refuse."""
    if "preset" in raw:
        return raw["preset"]
    return os.environ.get(PRESET_ENV) or DEFAULT_PRESET
