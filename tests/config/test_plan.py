"""The sweep plan: the config resolved once, frozen, with the values the search reads."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import write_sweep
from lstm_automl.config.plan import sweep_plan
from lstm_automl.sweep_file.loader import load_sweep

SWEEP = """
name: planned
seed: 7
data: {source: builtin:nile, lookback: 6}
search:
  units: {choice: [4, 8]}
tuner:
  algorithm: random
  objective: val_mae
  max_trials: 4
  pruning: {rule: asha, min_epochs: 1, reduction_factor: 2}
  max_time: 10m
  start_with: [{units: 8}]
training:
  epochs: {choice: [2, 5]}
  early_stopping_monitor: val_loss
  max_trial_time: 30s
final_model: {top_k: 2, seeds: 2, refit: true}
"""


def plan_of(tmp_path):
    loaded = load_sweep(write_sweep(tmp_path, SWEEP))
    return loaded.config, sweep_plan(loaded.config)


def test_the_plan_holds_what_the_search_reads(tmp_path):
    config, plan = plan_of(tmp_path)
    assert dict(plan.specs) == config.search.specs()
    assert plan.max_epochs == 5 and plan.seed == 7 and plan.name == "planned"
    assert (plan.objective, plan.direction, plan.minimise) == ("val_mae", "min", True)
    assert (plan.monitor, plan.monitor_direction) == ("val_loss", "min")
    assert dict(plan.trial_settings) == config.training.trial_settings()
    assert (plan.pruning.rule, plan.pruning.min_epochs, plan.pruning.reduction_factor) == (
        "asha", 1, 2) and plan.pruning.enabled
    assert plan.budget.max_time_seconds == 600 and plan.budget.max_trial_seconds == 30
    assert plan.budget.final_model_fits == 4  # 2 trials x 2 seeds, refit
    assert [dict(values) for values in plan.start_with] == [{"units": 8}]
    assert plan.tuner_arguments() == {"max_trials": 4}


def test_hyperband_and_grid_get_their_own_tuner_arguments(tmp_path):
    def arguments(tuner: str) -> dict:
        text = (f"name: p\ndata: {{source: builtin:nile, lookback: 6}}\n"
                f"search: {{units: {{choice: [4, 8]}}}}\ntuner: {tuner}\ntraining: {{epochs: 5}}\n")
        return sweep_plan(load_sweep(write_sweep(tmp_path, text)).config).tuner_arguments()

    assert arguments("{algorithm: hyperband, hyperband_factor: 2}") == {
        "max_epochs": 5, "factor": 2, "hyperband_iterations": 1}
    assert arguments("{algorithm: grid, max_trials: 2, grid_order: even}") == {
        "max_trials": 2, "grid_order": "even"}


def test_the_plan_cannot_be_changed_after_it_is_resolved(tmp_path):
    plan = plan_of(tmp_path)[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.max_epochs = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.specs["units"] = 16  # type: ignore[index]
    with pytest.raises(TypeError):
        plan.trial_settings["epochs"] = 3  # type: ignore[index]
