"""Searched data settings of classification and regression: window, feature subset, scaler."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import sweep_space
from lstm_automl.data.scaling import Scaler
from lstm_automl.data.sequences import prepare_sequences
from lstm_automl.data.variants import DataVariants
from lstm_automl.errors import ConfigError, DataError
from lstm_automl.sweep_file.loader import load_sweep
from tests.conftest import write_sweep


def recordings(folder: Path, cases: int = 24, steps: int = 30) -> Path:
    """Long recordings, three channels, one label each: the label is in channel c1's level."""
    rng = np.random.default_rng(0)
    labels = np.arange(cases) % 2
    x = rng.normal(size=(cases, steps, 3))
    x[:, :, 1] += 3.0 * labels[:, None]
    path = folder / "rec.npz"
    np.savez(path, x=x, y=labels)
    return path


def data_config(**data: object) -> object:
    sweep = {"name": "w", "data": {"task": "classify", "source": "rec.npz", **data}}
    return SweepConfig.model_validate(sweep).data


def test_a_window_cuts_each_split_after_the_split(tmp_path: Path):
    recordings(tmp_path)
    data = prepare_sequences(data_config(window=10), tmp_path, seed=1)
    whole = prepare_sequences(data_config(), tmp_path, seed=1)
    for split in ("train", "validation", "test"):
        windows, cases = data.splits[split], whole.splits[split]
        assert windows.x.shape == (3 * len(cases.x), 10, 3)  # 30 steps: 3 windows of 10
        # every window comes from a case of the same split, with that case's label
        assert set(windows.index) == set(cases.index)
        np.testing.assert_array_equal(np.repeat(cases.y, 3, axis=0), windows.y)
    assert data.model_shape().steps == 10 and not data.masked


def test_overlapping_windows_and_a_window_too_long(tmp_path: Path):
    recordings(tmp_path)
    data = prepare_sequences(data_config(window=10, window_step=5), tmp_path, seed=1)
    assert len(data.splits["train"].x) == 5 * len(prepare_sequences(
        data_config(), tmp_path, seed=1).splits["train"].x)
    with pytest.raises(DataError, match="data.window 31 is longer than every sequence of the "
                                        "train split"):
        prepare_sequences(data_config(window=31), tmp_path, seed=1)


def test_feature_subsets_pick_channels_by_name(tmp_path: Path):
    recordings(tmp_path)
    data = prepare_sequences(data_config(features=["c2", "c0"]), tmp_path, seed=1)
    assert data.channels == ["c2", "c0"] and data.splits["train"].x.shape[2] == 2
    with pytest.raises(DataError, match="no channel named 'c9'; channels: c0, c1, c2"):
        prepare_sequences(data_config(features=["c9"]), tmp_path, seed=1)


def test_the_robust_scaler_centres_on_the_median_and_divides_by_the_iqr():
    column = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    scaler = Scaler.fit("robust", column)
    assert scaler.offset[0] == 3.0 and scaler.scale[0] == 2.0  # quartiles 2 and 4
    assert scaler.transform(column)[2, 0] == 0.0


def test_variants_of_a_classification_sweep_are_searched(tmp_path: Path):
    recordings(tmp_path)
    config = data_config(window={"int": [10, 15], "step": 5},
                         scaling={"choice": ["standard", "robust"]},
                         features={"choice": [["c0"], ["c0", "c1"]]})
    variants = DataVariants(config, tmp_path, seed=1)
    assert variants.count() == 8
    variants.check_all()
    chosen = variants.from_hp_values({"data.window": 15, "data.scaling": "robust",
                                      "data.features": "c0+c1"})
    assert chosen.splits["train"].x.shape[1:] == (15, 2) and chosen.scaler.kind == "robust"
    # every variant tests the same cases (the split does not depend on the searched settings)
    assert set(chosen.splits["test"].index) == set(variants.default().splits["test"].index)


@pytest.mark.usefixtures("keras_session")
def test_the_model_follows_the_trial_window(tmp_path: Path):
    from lstm_automl.model.hypermodel import SweepHyperModel

    recordings(tmp_path)
    config = SweepConfig.model_validate({
        "name": "w", "data": {"task": "classify", "source": "rec.npz",
                              "window": {"choice": [10, 15]}}, "search": {"units": 4}})
    variants = DataVariants(config.data, tmp_path, config.seed)
    builder = SweepHyperModel(config.search.specs(), variants.default().model_shape(), 1,
                              variants)
    hp = kt.HyperParameters()
    assert builder.build(hp).input_shape == (None, 10, 3)
    hp.values["data.window"] = 15
    assert builder.build(hp).input_shape == (None, 15, 3)
    assert hp.get("data.window") == 15  # the trial's run logs it as the param data.window


def test_validate_shows_searched_sequence_settings_and_refuses_forecast_keys(tmp_path: Path):
    recordings(tmp_path)
    path = write_sweep(tmp_path, "name: w\ndata: {task: regress, source: rec.npz, "
                                 "window: {choice: [10, 15]}, scaling: {choice: [none, robust]}}\n")
    rows, size = sweep_space(load_sweep(path).config)
    assert ("data.window", "choice of 10, 15") in rows
    assert ("data.scaling", "choice of none, robust") in rows and size == 4
    path = write_sweep(tmp_path, "name: w\ndata: {task: classify, source: rec.npz, "
                                 "lookback: 12}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == ["data.lookback: applies only to task: forecast or detect; "
                                     "whole sequences are cut into windows with data.window"]


def test_lookback_as_a_range_or_as_multiples_of_the_horizon():
    ranged = SweepConfig.model_validate({"name": "f", "data": {
        "source": "builtin:airline", "lookback": {"int": [12, 36], "step": 12}}})
    assert ranged.data.searched_data() == {"lookback": [12, 24, 36]}
    relative = SweepConfig.model_validate({"name": "f", "data": {
        "source": "builtin:airline", "horizon": 6, "lookback": {"multiple_of_horizon": [2, 4]}}})
    assert relative.data.searched_data() == {"lookback": [12, 24]}
    assert relative.data.variant(lookback=24).lookback == 24
    rows, size = sweep_space(relative)
    assert ("data.lookback", "choice of 12, 24 (2, 4 x horizon 6)") in rows and size == 2
