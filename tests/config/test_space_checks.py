"""Issue 23's rough edges of the search space, answered by validate: ratio widths past the width
limit (refused) and a bayesian search too short for its Gaussian process (noted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.loader import load_sweep
from tests.conftest import write_sweep


def _load(folder: Path, search: str, tuner: str = "{}"):
    path = write_sweep(folder, f"name: s\ndata: {{source: builtin:airline}}\nsearch: {search}\n"
                               f"tuner: {tuner}\n")
    return load_sweep(path)


def test_ratio_widths_past_the_limit_are_refused_with_layer_and_width(isolated_workdir: Path):
    with pytest.raises(ConfigError) as caught:
        _load(isolated_workdir, "{layers: 8, units: {first: 256, ratio: 2}}")
    assert caught.value.problems == [
        "search.units: {first: 256, ratio: 2} over 8 layers reaches 32768 units in layer 8, "
        "above the limit of 4096; lower first or ratio (or layers)"]


def test_ratio_widths_use_the_largest_first_ratio_and_depth(isolated_workdir: Path):
    with pytest.raises(ConfigError) as caught:
        _load(isolated_workdir, "{layers: {choice: [1, 3]}, dense_layers: 2, dense_units: "
                                "{first: {int: [8, 3000]}, ratio: {choice: [1, 1.5]}}}")
    assert caught.value.problems[0].startswith(
        "search.dense_units: {first: 3000, ratio: 1.5} over 2 dense_layers reaches 4500")


@pytest.mark.parametrize("search", [
    "{layers: 4, units: {first: 512, ratio: 2}}",  # 4096 exactly: allowed
    "{layers: 8, units: {first: 4096, ratio: 0.5}}",  # shrinking
    "{layers: 1, units: {first: 4096, ratio: 8}}",  # one layer: the ratio never applies
])
def test_ratio_widths_within_the_limit_pass(search: str, isolated_workdir: Path):
    _load(isolated_workdir, search)


BAYES = "{algorithm: bayesian, max_trials: %d}"


def test_bayesian_search_inside_its_random_start_is_noted(isolated_workdir: Path):
    loaded = _load(isolated_workdir, "{units: {choice: [8, 16]}, learning_rate: "
                                     "{float: [0.0001, 0.01], log: true}}", BAYES % 6)
    assert ("tuner.max_trials: all 6 bayesian trials fall in the random start (3 random trials "
            "per searched hyperparameter, 2 searched: 6), so the Gaussian process never runs; it "
            "needs max_trials of at least 7, or use algorithm: random") in loaded.notes


def test_bayesian_start_counts_per_layer_values_of_every_layer(isolated_workdir: Path):
    loaded = _load(isolated_workdir, "{layers: 3, units: {choice: [8, 16], per_layer: true}}",
                   BAYES % 9)
    assert any("3 searched: 9" in note for note in loaded.notes), loaded.notes


def test_bayesian_search_past_its_random_start_says_nothing(isolated_workdir: Path):
    loaded = _load(isolated_workdir, "{units: {choice: [8, 16]}, learning_rate: "
                                     "{float: [0.0001, 0.01], log: true}}", BAYES % 7)
    assert not any("random start" in note for note in loaded.notes)
    random = _load(isolated_workdir, "{units: {choice: [8, 16]}}", "{max_trials: 2}")
    assert not any("random start" in note for note in random.notes)


@pytest.mark.parametrize("search", [
    "{units: {choice: [8, 16]}, learning_rate: {float: [0.0001, 0.01], log: true}}",
    "{layers: 3, units: {choice: [8, 16], per_layer: true}, "
    "bidirectional: {choice: [false, true]}}",
    "{layers: 2, units: {first: {choice: [8, 16]}, ratio: {choice: [0.5, 1]}}, dense_layers: 1, "
    "dense_units: {choice: [4, 8]}}",
])
def test_the_count_is_the_random_start_keras_tuner_uses(search: str, isolated_workdir: Path):
    """The light count agrees with tuning/bayesian.py's, which counts the declared space."""
    import keras_tuner as kt

    from lstm_automl.config.space_checks import RANDOM_PER_SEARCHED, searched_count
    from lstm_automl.model.space import declare_space
    from lstm_automl.tuning.bayesian import initial_points

    config = _load(isolated_workdir, search, BAYES % 50).config
    hp = kt.HyperParameters()
    declare_space(hp, config.search.specs())
    assert RANDOM_PER_SEARCHED * searched_count(config) == initial_points(hp)


def _data(folder: Path, data: str, search: str):
    path = write_sweep(folder, f"name: s\npreset: none\ndata: {data}\nsearch: {search}\n")
    return load_sweep(path)


@pytest.mark.parametrize("data, search, problem", [
    ("{source: builtin:airline}", "{output_activation: sigmoid}",
     "search.output_activation: sigmoid outputs values between 0 and 1, but data.scaling "
     "standard centres the scaled target on 0 with half of it below 0; use data.scaling: minmax "
     "or output_activation: linear"),
    ("{source: builtin:airline, scaling: robust}", "{output_activation: tanh}",
     "search.output_activation: tanh outputs values between -1 and 1, but data.scaling robust"),
    ("{source: builtin:GunPoint, task: classify}", "{output_activation: relu}",
     "search.output_activation: relu is for regress and forecast heads; classify ends in "
     "sigmoid or softmax"),
])
def test_bounded_output_activation_outside_the_scaled_range_is_refused(
        data: str, search: str, problem: str, isolated_workdir: Path):
    with pytest.raises(ConfigError) as caught:
        _data(isolated_workdir, data, search)
    assert caught.value.exit_code == 2
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_bounded_output_activation_that_fits_some_trials_is_noted(isolated_workdir: Path):
    loaded = _data(isolated_workdir, "{source: builtin:airline, scaling: {choice: [minmax, "
                                     "standard]}}", "{output_activation: {choice: [linear, relu]}}")
    assert any(n.startswith("search.output_activation: relu outputs values 0 or above, but "
                            "data.scaling standard") and n.endswith("(in trials with that scaling)")
               for n in loaded.notes), loaded.notes
    minmax = _data(isolated_workdir, "{source: builtin:airline, scaling: minmax}",
                   "{output_activation: sigmoid}")
    assert ("search.output_activation: sigmoid outputs values between 0 and 1: with data.scaling "
            "minmax the training targets fill 0..1, so values above the training maximum cannot "
            "be predicted") in minmax.notes
    plain = _data(isolated_workdir, "{source: builtin:airline}", "{output_activation: linear}")
    assert not any("output_activation" in n for n in plain.notes)


def test_batch_norm_between_without_two_layers_is_noted(isolated_workdir: Path):
    loaded = _data(isolated_workdir, "{source: builtin:airline}",
                   "{batch_norm_between: true, norm: batch}")
    for note in ["search.batch_norm_between: has no effect with one recurrent layer "
                 "(search.layers)",
                 "search.batch_norm_between: with norm: batch every layer but the last gets two "
                 "batch normalisations in a row"]:
        assert note in loaded.notes, loaded.notes
    stacked = _data(isolated_workdir, "{source: builtin:airline}",
                    "{batch_norm_between: true, layers: 2}")
    assert not any("batch_norm_between" in n for n in stacked.notes)
