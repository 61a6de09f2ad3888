"""Searched data settings: each trial trains on the variant its values name."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.config.schema import ForecastDataConfig, SweepConfig
from lstm_automl.data.variants import ForecastVariants
from lstm_automl.errors import DataError


def config(**data) -> ForecastDataConfig:
    return ForecastDataConfig(source="builtin:airline", split={"validation": 24}, **data)


def test_variants_are_prepared_once_and_differ(tmp_path):
    variants = ForecastVariants(config(lookback={"choice": [6, 12]},
                                       scaling={"choice": ["standard", "minmax"]}), tmp_path)
    variants.check_all()
    assert variants.count() == 4 and len(variants._cache) == 4
    short = variants.get(lookback=6, scaling="minmax")
    assert short is variants.get(lookback=6, scaling="minmax")
    assert short.splits["train"].x.shape[1] == 6 and short.target_scaler.kind == "minmax"
    # the same rows are tested whatever the lookback, so trials stay comparable
    np.testing.assert_array_equal(short.splits["test"].index,
                                  variants.get(lookback=12).splits["test"].index)


def test_each_further_variant_is_described_with_its_own_windows(tmp_path, capsys):
    """validate (and the run header) show the first variant's shapes in full; every other
    searched combination gets a line with its values and its own window counts."""
    from conftest import write_sweep
    from lstm_automl.cli import main

    variants = ForecastVariants(config(lookback={"choice": [6, 12]},
                                       scaling={"choice": ["standard", "minmax"]}), tmp_path)
    lines = variants.described()
    assert len(lines) == 3 and lines[0].startswith("data.lookback 6, data.scaling minmax: ")
    assert "lookback 12, horizon 1" in lines[-1] and "windows train" in lines[-1]
    assert variants.described(limit=1)[-1] == "... and 2 more variants"
    assert ForecastVariants(config(lookback=6), tmp_path).described() == []

    path = write_sweep(tmp_path, "name: v\ndata: {source: builtin:airline, lookback: "
                                 "{choice: [12, 24]}}\nsearch: {units: 8}\npreset: none\n")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "windows train 86 / validation 22 / test 24 (lookback 12, horizon 1)" in out
    assert "data, the other searched variants:\n  data.lookback 24: builtin:airline, " \
           "passengers; windows train 74 / validation 22 / test 24 (lookback 24" in out


def test_a_bad_variant_fails_before_training(tmp_path):
    variants = ForecastVariants(config(lookback={"choice": [6, 500]}), tmp_path)
    with pytest.raises(DataError, match="lookback 500"):
        variants.check_all()


def test_feature_subsets_are_searched_by_name(tmp_path):
    lines = ["t,y,x1,x2"] + [f"{i},{10 + i % 7},{i % 3},{i % 5}" for i in range(80)]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    cfg = ForecastDataConfig(source="m.csv", target="y", time_column="t", lookback=4,
                             features={"choice": [["y"], ["y", "x1", "x2"]]})
    variants = ForecastVariants(cfg, tmp_path)
    wide = variants.from_hp_values({"data.features": "y+x1+x2"})
    assert wide.n_features == 3 and variants.from_hp_values({}).n_features == 1


@pytest.mark.usefixtures("keras_session")
def test_hypermodel_follows_the_trial_variant(tmp_path):
    from lstm_automl.model.hypermodel import SweepHyperModel

    data_config = config(lookback={"choice": [6, 12]})
    variants = ForecastVariants(data_config, tmp_path)
    specs = SweepConfig.model_validate({"name": "v", "data": {"source": "builtin:airline"},
                                        "search": {"units": 4}}).search.specs()
    model_builder = SweepHyperModel(specs, variants.default().model_shape(), 1, variants)
    hp = kt.HyperParameters()
    assert model_builder.build(hp).input_shape == (None, 6, 1)
    hp.values["data.lookback"] = 12
    model = model_builder.build(hp)
    assert model.input_shape == (None, 12, 1)
    history = model_builder.fit(hp, model, None, None, epochs=1, verbose=0)
    assert len(history.history["val_loss"]) == 1
