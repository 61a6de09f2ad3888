"""Search space → keras-tuner HyperParameters: conditional per-layer values, seeded sampling."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import pytest

from conftest import write_sweep
from lstm_automl.config.params import (
    NULL_CODE,
    SEARCH_PARAMS,
    TEXT_PARAMS,
    check_value,
    decode_null,
    decode_nulls,
    encode_null,
    layer_key,
    split_layer_key,
)
from lstm_automl.config.schema import SweepConfig
from lstm_automl.errors import ConfigError
from lstm_automl.model.space import declare_space
from lstm_automl.sweep_file.loader import load_sweep


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


def test_the_null_code_is_no_value_a_nullable_domain_allows():
    nullable = [d for d in SEARCH_PARAMS.values() if d.nullable]
    assert nullable
    for domain in nullable:
        assert check_value(domain, domain.null_code) is not None
        assert decode_null(domain, encode_null(domain, None)) is None
        assert decode_null(domain, encode_null(domain, 1.5)) == 1.5
    assert decode_nulls({"clipnorm": NULL_CODE, "units_0": 8, "dropout": 0.0}) == {
        "clipnorm": None, "units_0": 8, "dropout": 0.0}


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


def test_layer_keys_round_trip_and_plain_keys_are_no_layer():
    for name in (n for n, d in SEARCH_PARAMS.items() if d.per_layer):
        for index in range(8):
            assert split_layer_key(layer_key(name, index)) == (name, index)
    assert layer_key("dense_units", 1) == "dense_units_1"
    for plain in ("units", "conv_kernel_size", "units_", "_1", "tuner/epochs"):
        assert split_layer_key(plain) is None


def test_per_layer_keys_are_what_the_tuner_declares():
    hp = kt.HyperParameters()
    declare_space(hp, specs_of({"layers": 2, "units": {"choice": [8, 16], "per_layer": True}}))
    assert {layer_key("units", 0), layer_key("units", 1)} <= {p.name for p in hp.space}


@pytest.mark.parametrize("layers", [1, 2])
def test_random_sampling_respects_per_layer_conditions(layers):
    for values in _sampled_sequence(3, 8):
        assert 1 <= values["layers"] <= 3
        for index in range(3):
            key = f"units_{index}"
            if index < values["layers"]:
                assert key in values


# --------------------------------------------------------------------------- mixed number spellings
# Users write {choice: [0, 0.1]} for a float and 2.0 for an integer; keras-tuner refuses a Choice
# that mixes int and float, so the loader gives every value its parameter's type.

_NUMBER_SPELLINGS = ("0", "1", "2.0", "3", "0.5", "1e-1", "2.5")


def _mixed_choice(name: str) -> tuple[str, type | None]:
    """A YAML choice for ``name`` mixing spellings, and the one type its values must end with."""
    domain = SEARCH_PARAMS[name]
    if domain.kind == "bool":
        return "{choice: [no, true]}", bool
    if domain.kind == "name":
        assert domain.names is not None
        first, second = list(domain.names)[:2]
        return f"{{choice: [{first}, '{second}']}}", str
    if domain.kind == "int":
        fits = [t for t in _NUMBER_SPELLINGS if float(t).is_integer()
                and check_value(domain, int(float(t))) is None]
        assert any("." in t for t in fits) and any("." not in t for t in fits)
        return f"{{choice: [{', '.join(fits)}]}}", int
    fits = [t for t in _NUMBER_SPELLINGS if check_value(domain, float(t)) is None]
    assert any(t.isdigit() for t in fits) and any(not t.isdigit() for t in fits), name
    null = ["null"] if domain.nullable else []
    return f"{{choice: [{', '.join(null + fits)}]}}", float


def _active_parents(name: str) -> str:
    """Fix the parent value that makes ``name`` exist, so the tuner declares it."""
    parent = SEARCH_PARAMS[name].active_when
    if parent is None:
        return ""
    rule = parent[1]
    value = "true" if rule == "true" else rule[1:] if rule.startswith("=") else 1
    return f", {parent[0]}: {value}"


def _admits_integer(name: str) -> bool:
    """Whether an integer spelling (0 or 1) can be a value: an open (0, 1) domain such as
    plateau_factor has no int/float mix to get wrong."""
    domain = SEARCH_PARAMS[name]
    return domain.kind != "float" or any(check_value(domain, v) is None for v in (0.0, 1.0))


@pytest.mark.parametrize("name", [n for n in SEARCH_PARAMS if _admits_integer(n)])
def test_mixed_spellings_load_as_one_type_and_reach_keras_tuner(name: str, isolated_workdir: Path):
    choice, kind = _mixed_choice(name)
    scaling = ", scaling: minmax" if name == "output_activation" else ""  # sigmoid's range
    data = ("{source: t.csv, task: classify, text: review}" if name in TEXT_PARAMS
            else f"{{source: builtin:airline{scaling}}}")  # the embedding needs a text input
    path = write_sweep(isolated_workdir, f"name: a\ndata: {data}\n"
                       f"search: {{{name}: {choice}{_active_parents(name)}}}\n")
    config = load_sweep(path).config
    values = config.search.specs()[name].choice
    assert all(v is None or type(v) is kind for v in values), values
    assert len(values) >= 2
    dumped = config.search.model_dump(mode="json")[name]["choice"]  # identity and MLflow params
    assert all(v is None or type(v) is kind for v in dumped), dumped
    hp = kt.HyperParameters()
    declare_space(hp, config.search.specs())  # keras-tuner accepts the coerced choice
    declared = {p.name: p for p in hp.space}[name]
    assert type(declared).__name__ in ("Choice", "Boolean")
    if kind in (int, float):
        assert {type(v) for v in declared.values} == {kind}


@pytest.mark.parametrize("name", [n for n, d in SEARCH_PARAMS.items()
                                  if d.kind == "float" and _admits_integer(n)])
def test_a_float_parameter_written_as_an_integer_is_a_float(name: str, isolated_workdir: Path):
    domain = SEARCH_PARAMS[name]
    whole = next(t for t in ("0", "1") if check_value(domain, float(t)) is None)
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline}\n"
                       f"search: {{{name}: {whole}}}\n")
    value = getattr(load_sweep(path).config.search, name)
    assert type(value) is float and value == float(whole)


@pytest.mark.parametrize("name", [n for n, d in SEARCH_PARAMS.items() if d.kind == "int"])
def test_an_integer_parameter_refuses_a_fraction_in_one_line(name: str, isolated_workdir: Path):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline}\n"
                       f"search: {{{name}: {{choice: [2, 2.5]}}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == [
        f"search.{name}.choice: 2.5 is not an integer; expected "
        f"{SEARCH_PARAMS[name].describe_allowed()}"]


def test_integer_ranges_take_whole_floats(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline}\n"
                       "search: {units: {int: [8.0, 32], step: 8.0}, batch_size: 64.0}\n")
    search = load_sweep(path).config.search
    assert search.units.int_ == (8, 32) and type(search.units.step) is int
    assert type(search.batch_size) is int
    path.write_text("name: a\ndata: {source: builtin:airline}\nsearch: {units: {int: [8.5, 32]}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == [
        "search.units.int: 8.5 is not an integer; an int range takes whole numbers"]


def test_per_layer_mixed_choice_declares_one_type_per_layer(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, "name: a\ndata: {source: builtin:airline}\n"
                       "search: {layers: {int: [1, 2]}, dropout: {choice: [0, 0.2], "
                       "per_layer: true}}\n")
    hp = kt.HyperParameters()
    declare_space(hp, load_sweep(path).config.search.specs())
    for index in (0, 1):
        declared = {p.name: p for p in hp.space}[f"dropout_{index}"]
        assert declared.values == [0.0, 0.2] and {type(v) for v in declared.values} == {float}
