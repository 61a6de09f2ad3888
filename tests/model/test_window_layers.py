"""``window_norm`` and ``residual``: the window layers, their place in the model, their config.

Tiny models, no training: the properties hold for any weights.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import write_series_csv, write_sweep
from lstm_automl.data.base import ModelShape

STEPS, FEATURES, CHANNEL, SEASON = 8, 3, 1, 4


def values(**overrides: Any) -> dict[str, Any]:
    base = {
        "cell": "gru", "bidirectional": False, "layers": 1, "units": [5], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": True, "conv_filters": 3,
        "conv_kernel_size": 2, "dense_layers": 1, "dense_units": [4],
        "dense_activation": "tanh", "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None, "window_norm": "none", "residual": "none",
    }
    base.update(overrides)
    return base


def shape(horizon: int = 6, season: int | None = SEASON, **kw: Any) -> ModelShape:
    return ModelShape(STEPS, FEATURES, horizon, "forecast", target_channel=CHANNEL,
                      season=season, **kw)


def windows(count: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, STEPS, FEATURES)).astype("float32")


def build(values_: dict[str, Any], shape_: ModelShape) -> Any:
    from lstm_automl.model.hypermodel import build_model

    return build_model(values_, shape_, seed=1, jit_compile=False)


def scramble(model: Any, seed: int = 3) -> None:
    """Arbitrary weights, biases included: the properties must not depend on the init."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])


def zero_output(model: Any) -> None:
    layer = model.get_layer("output")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])


def seasonal_naive(x: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """The textbook formula: y[T+h] = y[T + h - season * (floor((h - 1) / season) + 1)]."""
    series, steps = x[:, :, CHANNEL], x.shape[1]
    return np.stack([series[:, steps + h - season * ((h - 1) // season + 1) - 1]
                     for h in range(1, horizon + 1)], axis=1)


# --------------------------------------------------------------------------- model properties


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("residual", ["none", "naive", "seasonal_naive"])
@pytest.mark.parametrize("norm", ["last", "mean"])
def test_window_norm_makes_the_model_shift_equivariant(norm: str, residual: str):
    model = build(values(window_norm=norm, residual=residual), shape())
    scramble(model)
    x = windows()
    shifted = x.copy()
    shifted[:, :, CHANNEL] += 3.7
    before, after = model.predict(x, verbose=0), model.predict(shifted, verbose=0)
    np.testing.assert_allclose(after, before + 3.7, atol=1e-4)


@pytest.mark.usefixtures("keras_session")
def test_without_window_norm_a_shift_is_not_passed_through():
    """The check above is not vacuous: a plain model does not shift its forecast by c."""
    model = build(values(), shape())
    scramble(model)
    x = windows()
    shifted = x.copy()
    shifted[:, :, CHANNEL] += 3.7
    after = model.predict(shifted, verbose=0)
    assert not np.allclose(after, model.predict(x, verbose=0) + 3.7, atol=1e-2)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("norm", ["none", "last", "mean"])
@pytest.mark.parametrize("horizon", [3, 6, 9])
def test_a_zero_network_gives_exactly_the_seasonal_naive_forecast(norm: str, horizon: int):
    model = build(values(window_norm=norm, residual="seasonal_naive"), shape(horizon))
    scramble(model)
    zero_output(model)
    x = windows()
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               seasonal_naive(x, SEASON, horizon), atol=1e-5)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("norm", ["none", "last", "mean"])
def test_a_zero_network_gives_exactly_the_naive_forecast(norm: str):
    model = build(values(window_norm=norm, residual="naive"), shape(6))
    scramble(model)
    zero_output(model)
    x = windows()
    expected = np.repeat(x[:, -1:, CHANNEL], 6, axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("norm", ["last", "mean"])
def test_window_norm_alone_adds_the_level_back(norm: str):
    model = build(values(window_norm=norm), shape(4))
    scramble(model)
    zero_output(model)
    x = windows()
    series = x[:, :, CHANNEL]
    level = series[:, -1:] if norm == "last" else series.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.repeat(level, 4, axis=1),
                               atol=1e-5)


def test_seasonal_positions_match_the_textbook_formula():
    from lstm_automl.model.cells.window import seasonal_positions

    x = np.arange(STEPS, dtype="float32")[None, :, None].repeat(FEATURES, axis=2)
    for season in (1, 2, 4, STEPS):
        for horizon in (1, 5, 13):
            assert seasonal_positions(STEPS, horizon, season) == \
                seasonal_naive(x, season, horizon)[0].astype(int).tolist()


# --------------------------------------------------------------------------- save and load


@pytest.mark.usefixtures("keras_session")
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # never trained
def test_save_reload_and_the_pyfunc_loader_in_a_fresh_process(tmp_path: Path):
    import keras

    from lstm_automl.serving.model_saving import KERAS_FILE

    model = build(values(window_norm="mean", residual="seasonal_naive"), shape(6))
    scramble(model)
    x = windows()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / KERAS_FILE)
    reloaded = keras.saving.load_model(tmp_path / KERAS_FILE)
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), expected)
    assert reloaded.get_layer("window_baseline").get_config()["season"] == SEASON

    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", expected)
    probe = (
        "import sys, numpy as np\n"
        "from lstm_automl.serving.pyfunc import _load_pyfunc\n"
        "model = _load_pyfunc(sys.argv[1])\n"
        "x = np.load(sys.argv[1] + '/x.npy')\n"
        "np.testing.assert_array_equal(model.predict(x), np.load(sys.argv[1] + '/expected.npy'))\n"
        "print('LOADED_OK')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LOADED_OK" in result.stdout


def test_layer_configs_round_trip():
    from lstm_automl.model.cells import WindowBaseline, WindowNorm

    norm = WindowNorm(2, "mean", name="n")
    assert WindowNorm.from_config(norm.get_config()).get_config() == norm.get_config()
    base = WindowBaseline(0, 6, "seasonal_naive", 4, name="b")
    assert WindowBaseline.from_config(base.get_config()).get_config() == base.get_config()
    with pytest.raises(ValueError, match="one of"):
        WindowNorm(0, "median")
    with pytest.raises(ValueError, match="season"):
        WindowBaseline(0, 3, "seasonal_naive")


# --------------------------------------------------------------------------- what cannot apply


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize(("shape_", "dropped"), [
    (ModelShape(STEPS, FEATURES, 1, "regress"), "only for task: forecast"),
    (ModelShape(STEPS, FEATURES, 2, "forecast"), "the target is not an input channel"),
], ids=["regress", "no-target-channel"])
def test_what_cannot_apply_builds_without_it_and_warns(shape_: ModelShape, dropped: str):
    with pytest.warns(UserWarning, match=dropped):
        model = build(values(window_norm="last", residual="naive"), shape_)
    names = {layer.name for layer in model.layers}
    assert not names & {"window_norm", "window_baseline"}


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("season", [None, STEPS + 1])
def test_seasonal_naive_without_a_usable_season_keeps_window_norm(season: int | None):
    with pytest.warns(UserWarning, match="seasonal_naive ignored"):
        model = build(values(window_norm="last", residual="seasonal_naive"), shape(3, season))
    assert model.get_layer("window_baseline").get_config()["baseline"] == "last"


@pytest.mark.usefixtures("keras_session")
def test_a_plain_model_is_unchanged():
    model = build(values(), shape())
    assert model.layers[-1].name == "output"


# --------------------------------------------------------------------------- data side


@pytest.mark.parametrize("transform", ["none", "diff", "log"])
@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
def test_the_target_channel_is_scaled_exactly_as_the_outputs(scaling: str, transform: str,
                                                             isolated_workdir: Path):
    """What lets the layers add a level read off the inputs to the outputs."""
    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data.forecast import prepare_forecast

    write_series_csv(isolated_workdir, rows=80)
    config = ForecastDataConfig(source="series.csv", target="value", features=["other", "value"],
                                time_column="day", lookback=7, horizon=3, scaling=scaling,
                                transform=transform)
    data = prepare_forecast(config, isolated_workdir)
    model_shape = data.model_shape()
    assert model_shape.target_channel == 1 and model_shape.season == 7
    column = data.feature_scaler
    np.testing.assert_allclose(column.offset[1], data.target_scaler.offset[0], rtol=1e-12)
    np.testing.assert_allclose(column.scale[1], data.target_scaler.scale[0], rtol=1e-12)
    train = data.splits["train"]
    # The first target of window i is the last input of window i + 1.
    np.testing.assert_allclose(train.x[1:, -1, 1], train.y[:-1, 0], atol=1e-6)


def test_model_shape_without_the_target_among_the_inputs(isolated_workdir: Path):
    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data.forecast import prepare_forecast

    write_series_csv(isolated_workdir, rows=80)
    config = ForecastDataConfig(source="series.csv", target="value", features=["other"],
                                time_column="day", lookback=7, horizon=3)
    assert prepare_forecast(config, isolated_workdir).model_shape().target_channel is None


# --------------------------------------------------------------------------- config


def test_the_space_declares_them_and_trials_report_them():
    import keras_tuner as kt

    from lstm_automl.config.schema import SweepConfig
    from lstm_automl.model.space import declare_space
    from lstm_automl.tuning.tuners import trial_values

    specs = SweepConfig.model_validate({
        "name": "t", "data": {"source": "builtin:airline"},
        "search": {"window_norm": {"choice": ["none", "mean"]}, "residual": "naive"},
    }).search.specs()
    hp = kt.HyperParameters()
    chosen = declare_space(hp, specs)
    assert chosen["window_norm"] == "none" and chosen["residual"] == "naive"
    assert {"window_norm": "none", "residual": "naive"}.items() <= trial_values(hp).items()


def _validate(folder: Path, text: str, capsys: pytest.CaptureFixture[str],
              *flags: str) -> tuple[int, str, str]:
    from lstm_automl.cli import main

    path = write_sweep(folder, text)
    rc = main(["validate", *flags, str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_validate_accepts_and_summarises_them(isolated_workdir: Path,
                                              capsys: pytest.CaptureFixture[str]):
    rc, out, err = _validate(isolated_workdir, (
        "name: w\ndata: {source: builtin:airline, lookback: 12}\n"
        "search:\n  window_norm: {choice: [none, last, mean]}\n"
        "  residual: {choice: [none, naive, seasonal_naive]}\n"
    ), capsys)
    assert rc == 0, err
    assert "window_norm  choice of none, last, mean" in out
    assert "residual     choice of none, naive, seasonal_naive" in out
    assert "space size: 9 configurations" in out


@pytest.mark.parametrize(("data", "search", "message"), [
    ("{source: builtin:ItalyPowerDemand, task: classify}", "{window_norm: last}",
     "search.window_norm: only for task: forecast (got last with task: classify)"),
    ("{source: builtin:ItalyPowerDemand, task: classify}", "{residual: {choice: [none, naive]}}",
     "search.residual: only for task: forecast (got naive with task: classify)"),
    ("{source: builtin:nile}", "{residual: seasonal_naive}",
     "search.residual: seasonal_naive needs data.season and a lookback of at least one season "
     "(no season is set or known for this data)"),
    ("{source: builtin:airline, lookback: 6}", "{residual: seasonal_naive}",
     "search.residual: seasonal_naive needs data.season and a lookback of at least one season "
     "(season 12, lookback 6)"),
    ("{source: series.csv, target: value, features: [other]}", "{window_norm: mean}",
     "search.window_norm: needs the target 'value' among data.features"),
    ("{source: builtin:airline}", "{window_norm: median}",
     "search.window_norm: 'median' is not allowed; expected one of: none, last, mean"),
], ids=["classify-norm", "classify-residual", "no-season", "short-lookback", "no-target",
        "unknown-name"])
def test_validate_refuses_what_cannot_apply_in_one_line(
        data: str, search: str, message: str, isolated_workdir: Path,
        capsys: pytest.CaptureFixture[str]):
    rc, out, err = _validate(isolated_workdir, f"name: w\ndata: {data}\nsearch: {search}\n",
                             capsys, "--no-data")
    assert rc == 2, out
    lines = [line for line in err.splitlines() if message in line]
    assert len(lines) == 1, err


@pytest.mark.parametrize(("data", "note"), [
    ("{source: builtin:airline, lookback: {choice: [6, 12]}}",
     "search.residual: seasonal_naive has no effect in trials whose lookback (6) is shorter "
     "than the season (12)"),
    ("{source: series.csv, target: value, time_column: day}",
     "search.residual: seasonal_naive needs data.season and a lookback of at least one season: "
     "the season is inferred from data.time_column"),
], ids=["some-lookbacks-short", "season-inferred-later"])
def test_validate_notes_what_only_some_trials_can_apply(
        data: str, note: str, isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    rc, out, err = _validate(isolated_workdir, (
        f"name: w\ndata: {data}\nsearch: {{residual: seasonal_naive}}\n"
    ), capsys, "--no-data")
    assert rc == 0, err
    assert f"note: {note}" in out
