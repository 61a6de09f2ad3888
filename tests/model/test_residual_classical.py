"""``residual: ar`` and ``ets``: a classical model fitted once on the training rows, its
forecast added to the network's output as a constant layer, kept in the saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import write_series_csv, write_sweep
from lstm_automl.baselines.window_ar import ar_affine, ar_forecast, fit_window_ar
from lstm_automl.baselines.window_arima import arima_affine, arima_window_forecast, fit_window_arima
from lstm_automl.baselines.window_ets import (
    ets_normalised,
    ets_weights,
    ets_window_forecast,
    fit_window_ets,
)
from lstm_automl.baselines.window_series import series_of_windows
from lstm_automl.data.base import ModelShape

STEPS, FEATURES, CHANNEL = 8, 2, 1
PARAMS = (0.3, 0.6, -0.2, 0.1)  # const, phi_1..phi_3
ETS = (0.4, 0.1, 0.2, 0.9, 4.0, 1.0)  # alpha, beta, gamma, phi, season, trend
ARIMA = (1.0, 1.0, 1.0, 0.05, 0.5, 0.3)  # d, p, q, mean, phi_1, theta_1


def ar_windows(count: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a simulated AR(2) (target in ``CHANNEL``) and their next 3 values."""
    rng = np.random.default_rng(seed)
    series = np.zeros(count + STEPS + 3 + 50)
    for t in range(2, len(series)):
        series[t] = 0.5 + 0.7 * series[t - 1] - 0.3 * series[t - 2] + rng.normal(0, 0.1)
    series = series[50:]
    x = np.stack([np.column_stack([rng.normal(size=STEPS), series[i:i + STEPS]])
                  for i in range(count)])
    y = np.stack([series[i + STEPS:i + STEPS + 3] for i in range(count)])
    return x.astype("float32"), y.astype("float32")


def test_the_affine_map_is_the_recursive_forecast():
    history = np.random.default_rng(1).normal(size=(5, 6))
    buffer = [list(row) for row in history]
    for row in buffer:
        for _ in range(4):
            row.append(PARAMS[0] + sum(PARAMS[k] * row[-k] for k in range(1, 4)))
    np.testing.assert_allclose(ar_forecast(PARAMS, history, 4),
                               np.asarray(buffer)[:, 6:], rtol=1e-12)
    weights, bias = ar_affine(PARAMS, 4)
    assert weights.shape == (3, 4) and bias.shape == (4,)


def test_the_fit_recovers_a_known_ar():
    x, y = ar_windows()
    params = fit_window_ar(x, y, CHANNEL)
    assert params is not None and len(params) >= 3
    np.testing.assert_allclose(params[1:3], [0.7, -0.3], atol=0.12)
    assert all(abs(v) < 0.15 for v in params[3:])


def test_too_few_or_constant_windows_give_no_ar():
    x, y = ar_windows(count=3)
    assert fit_window_ar(x, y, CHANNEL) is None
    flat = np.ones((40, STEPS, FEATURES), dtype="float32")
    assert fit_window_ar(flat, np.ones((40, 1), dtype="float32"), CHANNEL) is None


def test_the_ets_forecast_is_linear_in_the_window_and_follows_its_equations():
    history = np.random.default_rng(5).normal(size=(4, STEPS))
    weights = ets_weights(ETS, STEPS, 5)
    np.testing.assert_allclose(history @ weights, ets_window_forecast(ETS, history, 5),
                               atol=1e-12)
    # A window that is exactly level + slope + season is forecast exactly (undamped).
    season = np.array([1.0, -0.5, 0.25, -0.75])
    t = np.arange(STEPS + 5)
    series = 3.0 + 0.2 * t + season[t % 4]
    undamped = (*ETS[:3], 1.0, *ETS[4:])
    np.testing.assert_allclose(ets_window_forecast(undamped, series[None, :STEPS], 5)[0],
                               series[STEPS:], atol=1e-9)


def test_the_ets_fit_finds_the_season_of_a_seasonal_series():
    rng = np.random.default_rng(6)
    t = np.arange(240)
    series = np.sin(2 * np.pi * t / 12) + 0.002 * t + rng.normal(0, 0.1, len(t))
    params = fit_window_ets(series, 12, 24)
    assert params is not None and params[4] == 12.0
    assert fit_window_ets(series, 12, 12)[4] == 0.0  # a lookback of one season: no season
    assert fit_window_ets(series[:8], None, 6) is None


def test_the_arima_forecast_is_affine_and_follows_its_equations():
    history = np.random.default_rng(7).normal(size=(3, STEPS)).cumsum(axis=1)
    weights, bias = arima_affine(ARIMA, STEPS, 4)
    np.testing.assert_allclose(history @ weights + bias,
                               arima_window_forecast(ARIMA, history, 4), atol=1e-12)
    # By hand: differences z, innovations from the window's first step, then the recursion.
    d, mean, phi, theta = 1, 0.05, 0.5, 0.3
    y = history[0]
    z = np.diff(y, n=d) - mean
    error = 0.0
    for t in range(1, len(z)):
        error = z[t] - phi * z[t - 1] - theta * error
    step = phi * z[-1] + theta * error
    ahead = [step]
    for _ in range(3):
        ahead.append(phi * ahead[-1])
    expected = y[-1] + np.cumsum(np.asarray(ahead) + mean)
    np.testing.assert_allclose(arima_window_forecast(ARIMA, history[:1], 4)[0], expected,
                               atol=1e-12)


def test_the_arima_fit_finds_the_order_of_a_known_arma():
    rng = np.random.default_rng(8)
    noise = rng.normal(0, 1, 500)
    z = np.zeros(500)
    for t in range(1, 500):
        z[t] = 0.7 * z[t - 1] + noise[t]
    params = fit_window_arima(z + 3.0, 12)
    assert params is not None and params[0] == 0.0 and params[1] >= 1
    assert abs(params[4] - 0.7) < 0.15 and abs(params[3] - 3.0) < 0.6
    assert fit_window_arima(z[:15], 12) is None


def _values(**overrides: Any) -> dict[str, Any]:
    base = {
        "cell": "gru", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": 3,
        "conv_kernel_size": 2, "dense_layers": 0, "dense_units": [4],
        "dense_activation": "tanh", "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None, "window_norm": "none", "residual": "ar",
    }
    return {**base, **overrides}


def _zero_head(model: Any) -> None:
    head = model.get_layer("output")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # never trained
@pytest.mark.parametrize("norm", ["none", "last"])
def test_a_zero_network_gives_exactly_the_ar_forecast(norm: str, tmp_path: Path):
    import keras

    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL,
                       ar_params=PARAMS)
    model = build_model(_values(window_norm=norm), shape, seed=1)
    _zero_head(model)
    x = np.random.default_rng(2).normal(size=(6, STEPS, FEATURES)).astype("float32")
    expected = ar_forecast(PARAMS, x[:, :, CHANNEL], 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    path = tmp_path / "m.keras"  # the parameters travel in the saved model
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # never trained
def test_a_zero_network_gives_exactly_the_ets_forecast(tmp_path: Path):
    import keras

    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL,
                       fit_classical=lambda kind: ETS)
    model = build_model(_values(residual="ets", window_norm="mean"), shape, seed=1)
    _zero_head(model)
    x = np.random.default_rng(2).normal(size=(6, STEPS, FEATURES)).astype("float32")
    expected = ets_window_forecast(ETS, x[:, :, CHANNEL], 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
def test_window_norm_ets_feeds_the_ets_remainder_and_adds_its_forecast_back():
    import keras

    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL,
                       fit_classical=lambda kind: ETS if kind == "ets" else None)
    model = build_model(_values(window_norm="ets", residual="none"), shape, seed=1)
    x = np.random.default_rng(9).normal(size=(4, STEPS, FEATURES)).astype("float32")
    probe = keras.Model(model.inputs, model.get_layer("window_norm").output)
    seen = probe.predict(x, verbose=0)
    np.testing.assert_allclose(seen[:, :, CHANNEL], ets_normalised(ETS, x[:, :, CHANNEL]),
                               atol=1e-5)
    np.testing.assert_allclose(np.delete(seen, CHANNEL, axis=2), np.delete(x, CHANNEL, axis=2))
    shifted = x.copy()
    shifted[:, :, CHANNEL] += 5.0  # the ETS states move with the series: so does the forecast
    np.testing.assert_allclose(model.predict(shifted, verbose=0),
                               model.predict(x, verbose=0) + 5.0, atol=1e-4)
    _zero_head(model)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               ets_window_forecast(ETS, x[:, :, CHANNEL], 3), atol=1e-5)


@pytest.mark.usefixtures("keras_session")
def test_a_zero_network_gives_exactly_the_arima_forecast():
    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL,
                       fit_classical=lambda kind: ARIMA if kind == "arima" else None)
    model = build_model(_values(residual="arima"), shape, seed=1)
    _zero_head(model)
    x = np.random.default_rng(2).normal(size=(6, STEPS, FEATURES)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               arima_window_forecast(ARIMA, x[:, :, CHANNEL], 3), atol=1e-5)


@pytest.mark.usefixtures("keras_session")
def test_recursive_with_a_zero_network_chains_into_the_ar_forecast():
    """``multi_step: recursive``: the one-step AR fed its own forecasts is the H-step AR."""
    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, 1, 3, "forecast", target_channel=0, ar_params=PARAMS)
    model = build_model(_values(multi_step="recursive"), shape, seed=1)
    _zero_head(model.get_layer("one_step"))
    x = np.random.default_rng(4).normal(size=(5, STEPS, 1)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), ar_forecast(PARAMS, x[:, :, 0], 3),
                               atol=1e-5)


@pytest.mark.usefixtures("keras_session")
def test_without_a_fitted_ar_the_model_builds_without_it_and_warns():
    from lstm_automl.model.hypermodel import build_model

    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL)
    with pytest.warns(UserWarning, match="residual: ar ignored"):
        model = build_model(_values(), shape, seed=1)
    assert "ar_baseline" not in [layer.name for layer in model.layers]


def test_an_earlier_backtest_fold_gets_an_ar_of_its_own_windows():
    """A fold has its own scalers and ends before its origin: the trial's AR would not fit."""
    from types import SimpleNamespace

    from lstm_automl.model.hypermodel import _fold_shape

    x, y = ar_windows(count=120, seed=3)
    fold = SimpleNamespace(train=SimpleNamespace(x=x * 2.0 + 1.0, y=y * 2.0 + 1.0))
    shape = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL,
                       ar_params=PARAMS)
    refitted = _fold_shape(shape, fold).classical("ar")
    assert refitted == fit_window_ar(fold.train.x, fold.train.y, CHANNEL) != PARAMS
    plain = ModelShape(STEPS, FEATURES, 3, "forecast", target_channel=CHANNEL)
    assert _fold_shape(plain, fold) is plain


@pytest.mark.usefixtures("keras_session")
def test_the_hypermodel_builds_each_backtest_fold_on_that_folds_models(tmp_path: Path):
    import keras_tuner as kt

    from lstm_automl.baselines.window_series import fit_on_windows
    from lstm_automl.config.schema import ForecastDataConfig, SweepConfig
    from lstm_automl.data.variants import ForecastVariants
    from lstm_automl.model.hypermodel import SweepHyperModel

    config = ForecastDataConfig(source="builtin:airline", lookback=6, split={"validation": 12},
                                backtest={"folds": 2})
    variants = ForecastVariants(config, tmp_path)
    data = variants.default()
    specs = SweepConfig.model_validate({"name": "b", "data": {"source": "builtin:airline"},
                                        "search": {"units": 4, "residual": "ar"}}).search.specs()
    builder = SweepHyperModel(specs, data.model_shape(), 1, variants)
    hp = kt.HyperParameters()
    whole = builder.build(hp).get_layer("ar_baseline").params
    assert tuple(whole) == data.model_shape().classical("ar")
    fold = data.folds[0]
    own = builder.build(hp, fold).get_layer("ar_baseline").params
    assert tuple(own) == fit_on_windows("ar", [fold.train], 0, data.season, 6) != tuple(whole)


def _data(folder: Path, rows: int, **overrides: Any) -> Any:
    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data.forecast import prepare_forecast

    config = ForecastDataConfig(**{"source": "series.csv", "target": "value",
                                   "time_column": "day", "lookback": 7, "horizon": 2,
                                   "split": {"validation": 0.2, "test": 0.2}, **overrides})
    return prepare_forecast(config, folder)


def _rewrite(path: Path, lines: list[str], rows: range, base: float) -> None:
    """The CSV with the value of data rows ``rows`` replaced (line 0 is the header)."""
    out = [lines[0]]
    for row, line in enumerate(lines[1:]):
        day, value, other = line.split(",")
        out.append(f"{day},{base + row % 5 if row in rows else value},{other}")
    path.write_text("\n".join(out) + "\n")


def test_the_classical_models_read_no_row_of_the_later_splits(isolated_workdir: Path):
    """Trials' models: training windows only; a refit's: train + validation, never the test."""
    path = write_series_csv(isolated_workdir, rows=120)
    lines = path.read_text().splitlines()
    before = _data(isolated_workdir, 120)
    val_start, test_start = (int(before.splits[s].index[0]) for s in ("validation", "test"))
    _rewrite(path, lines, range(test_start, 120), 50.0)  # every test target
    after = _data(isolated_workdir, 120)
    _rewrite(path, lines, range(val_start, test_start), 70.0)  # every validation target
    later = _data(isolated_workdir, 120)
    for kind in ("ar", "ets", "arima"):
        fitted, refit = (before.model_shape(refit=r).classical(kind) for r in (False, True))
        assert fitted is not None and refit is not None
        assert after.model_shape().classical(kind) == fitted
        assert after.model_shape(refit=True).classical(kind) == refit
        assert later.model_shape().classical(kind) == fitted
        assert later.model_shape(refit=True).classical(kind) != refit


def test_the_training_series_is_rebuilt_from_the_windows(isolated_workdir: Path):
    write_series_csv(isolated_workdir, rows=120)
    data = _data(isolated_workdir, 120)
    train, val = data.splits["train"], data.splits["validation"]
    series = series_of_windows([train, val], 0)
    assert series is not None
    last = int(val.index[-1]) + data.horizon
    assert len(series) == last - (int(train.index[0]) - data.lookback)
    np.testing.assert_allclose(series[-data.horizon:], val.y[-1], atol=1e-6)
    shuffled = type(train)(train.x, train.y, train.index + 1)  # rows that disagree
    assert series_of_windows([train, shuffled], 0) is None


def _validate(folder: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from lstm_automl.cli import main

    rc = main(["validate", "--no-data", str(write_sweep(folder, text))])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(("data", "message"), [
    ("{source: builtin:ItalyPowerDemand, task: classify}",
     "search.residual: only for task: forecast (got ar with task: classify)"),
    ("{source: series.csv, target: value, features: [other]}",
     "search.residual: needs the target 'value' among data.features"),
    ("{source: series.csv, target: [value, other]}",
     "search.residual: ar works on one target's history; not with several data.target"),
    ("{source: builtin:ItalyPowerDemand, task: classify}",
     "search.residual: only for task: forecast (got ets with task: classify)"),
    ("{source: series.csv, target: [value, other]}",
     "search.residual: arima works on one target's history; not with several data.target"),
], ids=["classify", "no-target", "several-targets", "classify-ets", "several-targets-arima"])
def test_validate_refuses_ar_where_it_cannot_apply(data: str, message: str,
                                                   isolated_workdir: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    write_series_csv(isolated_workdir)
    kind = next(k for k in ("ets", "arima") if f" {k} " in message) if (
        " ets " in message or " arima " in message) else "ar"
    rc, err = _validate(isolated_workdir, f"name: w\ndata: {data}\n"
                        f"search: {{residual: {{choice: [none, {kind}]}}}}\n", capsys)
    assert rc == 2
    assert len([line for line in err.splitlines() if message in line]) == 1, err


def test_validate_refuses_ar_when_no_ar_can_be_fitted(isolated_workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]):
    """A constant target: nothing to fit, refused once the data is read, nothing created."""
    from lstm_automl.cli import main

    lines = ["day,value"] + [f"2024-01-{i + 1:02d},5.0" for i in range(30)]
    (isolated_workdir / "flat.csv").write_text("\n".join(lines) + "\n")
    text = ("name: w\ndata: {source: flat.csv, target: value, time_column: day, lookback: 5}\n"
            "search: {residual: {choice: [none, ar]}}\n")
    before = sorted(p.name for p in isolated_workdir.iterdir())
    for command in ("validate", "run"):
        assert main([command, str(write_sweep(isolated_workdir, text))]) == 2
        err = capsys.readouterr().err
        assert "search.residual: ar needs an AR model fitted on the training windows, and the "\
            "target is constant over them" in err and "Traceback" not in err
    assert sorted(p.name for p in isolated_workdir.iterdir()) == sorted({*before, "sweep.yaml"})


def test_validate_reads_the_data_and_accepts_every_classical_setting(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    from lstm_automl.cli import main

    text = ("name: w\ndata: {source: builtin:nile, lookback: 6}\nsearch:\n"
            "  window_norm: {choice: [none, ets]}\n"
            "  residual: {choice: [none, ar, ets, arima]}\n")
    assert main(["validate", str(write_sweep(isolated_workdir, text))]) == 0
    out = capsys.readouterr().out
    assert "window_norm  choice of none, ets" in out
    assert "residual     choice of none, ar, ets, arima" in out
    assert "note: search.residual" not in out and "note: search.window_norm" not in out


SWEEP = """
name: hybrid_{kind}
seed: 5
data:
  source: builtin:nile
  lookback: 6
  horizon: 2
  split: {{validation: 0.2, test: 0.2}}
search:
  cell: gru
  units: 4
  residual: {kind}
tuner: {{algorithm: random, max_trials: 1}}
training: {{epochs: 2, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""


@pytest.mark.slow
@pytest.mark.backend_contract
@pytest.mark.parametrize("kind", ["ar", "ets", "arima"])
def test_a_sweep_with_a_classical_residual_registers_a_model_that_serves_raw_history(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow
    import pandas as pd

    from lstm_automl.cli import main
    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data.forecast import prepare_forecast

    name = f"hybrid_{kind}"
    assert main(["run", str(write_sweep(tmp_path, SWEEP.format(kind=kind)))]) == 0
    assert f"Registered '{name}' version 1" in capsys.readouterr().out
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias(name, "champion")
    table = pd.read_csv(client.download_artifacts(version.run_id, "test_predictions.csv",
                                                  str(tmp_path)))
    model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert f"{kind}_baseline" in [layer.name for layer in model.get_raw_model().layers]

    config = ForecastDataConfig(source="builtin:nile", lookback=6, horizon=2,
                                split={"validation": 0.2, "test": 0.2})
    data = prepare_forecast(config, tmp_path)
    origin = int(data.splits["test"].index[-1])  # the last test window, from raw history
    history = pd.DataFrame({"year": data.time_values[origin - 10:origin],
                            "volume": data.series[origin - 10:origin]})
    served = model.predict(history).to_numpy()[-1]
    last = table[table["row"] == origin]
    np.testing.assert_allclose(served, last[["predicted_h1", "predicted_h2"]].to_numpy()[0],
                               rtol=1e-4)
