"""A seed fixes the trials a sweep samples, across lstm-sweep versions: keras-tuner's random
stream advances once per declared value, so a key added later must declare nothing while a
sweep leaves it at its default (``Domain.declared_at_default``). The quickstart's documented
result (README, bench/RESULTS.md) depends on this."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import pytest

from conftest import SWEEPS
from lstm_automl.config.params import SEARCH_PARAMS
from lstm_automl.model.space import declare_space, declare_training_settings
from lstm_automl.sweep_file.loader import load_sweep

# What `lstm-sweep run sweeps/quickstart.yaml` sampled (seed 7) when its result was measured.
QUICKSTART_TRIALS = [
    {"cell": "gru", "units": 16, "dropout": 0.0518, "learning_rate": 0.0267, "batch_size": 8,
     "window_norm": "last", "residual": "none"},
    {"cell": "lstm", "units": 16, "dropout": 0.106, "learning_rate": 0.00306, "batch_size": 8,
     "window_norm": "none", "residual": "seasonal_naive"},
    {"cell": "simple_rnn", "units": 32, "dropout": 0.0181, "learning_rate": 0.00116,
     "batch_size": 8, "window_norm": "last", "residual": "none"},
]


def _sampled(path: Path, count: int) -> list[dict[str, object]]:
    config = load_sweep(path).config
    hp = kt.HyperParameters()
    declare_training_settings(hp, config.training.searched())
    declare_space(hp, config.search.specs())
    oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"),
                                           max_trials=count, seed=config.seed)
    oracle.update_space(hp)
    oracle._set_project_dir(".", "stream")
    sampled = []
    for number in range(count):
        trial = oracle.create_trial(f"t{number}")
        sampled.append(dict(trial.hyperparameters.values))
        oracle.update_trial(trial.trial_id, {"val_loss": 1.0}, step=0)
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return sampled


def test_the_quickstart_samples_the_trials_its_result_was_measured_with(isolated_workdir):
    sampled = _sampled(SWEEPS / "quickstart.yaml", len(QUICKSTART_TRIALS))
    for got, expected in zip(sampled, QUICKSTART_TRIALS, strict=True):
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=5e-3) if isinstance(value, float) \
                else got[key] == value, (key, got)


@pytest.mark.parametrize("name", [n for n, d in SEARCH_PARAMS.items()
                                  if not d.declared_at_default])
def test_a_later_key_at_its_default_declares_no_value(name: str, isolated_workdir):
    config = load_sweep(SWEEPS / "quickstart.yaml").config
    hp = kt.HyperParameters()
    values = declare_space(hp, config.search.specs())
    assert name not in hp.values and values[name] == SEARCH_PARAMS[name].default
