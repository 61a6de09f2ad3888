"""Search space → keras-tuner HyperParameters: conditional per-layer values, seeded sampling."""

from __future__ import annotations

import keras_tuner as kt
import pytest

from lstm_automl.config import SweepConfig
from lstm_automl.space import declare_space


def specs_of(search: dict) -> dict:
    return SweepConfig.model_validate(
        {"name": "t", "data": {"source": "builtin:nile"}, "search": search}
    ).search.specs()


def test_fixed_values_declare_fixed_hyperparameters():
    hp = kt.HyperParameters()
    values = declare_space(hp, specs_of({"units": 16, "cell": "gru"}))
    assert values["units"] == [16] and values["cell"] == "gru"
    assert all(isinstance(p, kt.engine.hyperparameters.Fixed) for p in hp.space)


def test_per_layer_units_exist_only_for_existing_layers():
    specs = specs_of({"layers": {"int": [1, 3]}, "units": {"choice": [8, 16], "per_layer": True}})
    hp = kt.HyperParameters()
    declare_space(hp, specs)
    names = {p.name for p in hp.space}
    assert {"units_0", "units_1", "units_2"} <= names
    hp.values.update(layers=2, units_1=16)  # what an oracle sets for a 2-layer trial
    values = declare_space(hp, specs)
    assert values["units"] == [8, 16]
    assert len(values["units"]) == 2
    by_name = {p.name: p for p in hp.space}
    assert hp.is_active(by_name["units_1"]) and not hp.is_active(by_name["units_2"])


def test_shared_units_repeat_for_every_layer():
    hp = kt.HyperParameters()
    values = declare_space(hp, specs_of({"layers": 3, "units": {"choice": [8, 16]}}))
    assert values["units"] == [8, 8, 8]


def test_conv_and_dense_settings_are_conditional():
    specs = specs_of({"conv_front": {"choice": [False, True]}, "conv_filters": {"choice": [4, 8]},
                      "dense_layers": 0, "dense_units": {"choice": [4, 8]}})
    hp = kt.HyperParameters()
    values = declare_space(hp, specs)
    assert values["conv_front"] is False and values["conv_filters"] is None
    assert values["dense_units"] == [] and "dense_units" not in {p.name for p in hp.space}
    hp.values.update(conv_front=True, conv_filters=8, conv_kernel_size=3)
    assert declare_space(hp, specs)["conv_filters"] == 8


def test_nullable_clipnorm_round_trips_through_the_tuner():
    specs = specs_of({"clipnorm": {"choice": [None, 1.0]}})
    hp = kt.HyperParameters()
    assert declare_space(hp, specs)["clipnorm"] is None
    hp.values["clipnorm"] = 1.0
    assert declare_space(hp, specs)["clipnorm"] == 1.0


def test_boolean_choice_becomes_a_keras_tuner_boolean():
    hp = kt.HyperParameters()
    declare_space(hp, specs_of({"bidirectional": {"choice": [False, True]}}))
    kinds = {p.name: type(p).__name__ for p in hp.space}
    assert kinds["bidirectional"] == "Boolean"


def _sampled_sequence(seed: int, count: int = 6) -> list[dict]:
    specs = specs_of({
        "cell": {"choice": ["lstm", "gru", "peephole", "simple_rnn"]},
        "layers": {"int": [1, 3]},
        "units": {"int": [8, 64], "step": 8, "per_layer": True},
        "learning_rate": {"float": [1e-4, 1e-2], "log": True},
    })
    hp = kt.HyperParameters()
    declare_space(hp, specs)
    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("val_loss", "min"), max_trials=count, seed=seed,
        hyperparameters=hp,
    )
    sampled = []
    for index in range(count):
        values = oracle.populate_space(str(index))["values"]
        sampled.append(values)
    return sampled


def test_same_seed_gives_the_same_sampled_sequence():
    assert _sampled_sequence(7) == _sampled_sequence(7)
    assert _sampled_sequence(7) != _sampled_sequence(8)


@pytest.mark.parametrize("layers", [1, 2])
def test_random_sampling_respects_per_layer_conditions(layers):
    for values in _sampled_sequence(3, 8):
        assert 1 <= values["layers"] <= 3
        for index in range(3):
            key = f"units_{index}"
            if index < values["layers"]:
                assert key in values
