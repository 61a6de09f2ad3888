"""``final_model.mc_dropout``: the registered model gives a mean and spread of dropout passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from child_processes import predict_in_fresh_process
from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.serving.raw import forecast_spec, input_example

pytestmark = pytest.mark.usefixtures("keras_session")


def _model(shape, recurrent_dropout=0.3, norm="none"):
    from lstm_automl.model.hypermodel import build_model

    values = {
        "cell": "lstm", "bidirectional": False, "layers": 2, "units": [8, 8],
        "dropout": [0.0, 0.0], "recurrent_dropout": [recurrent_dropout] * 2, "conv_front": False,
        "conv_filters": None, "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None, "norm": norm,
    }
    return build_model(values, shape, seed=1)


def _saved(folder: Path, seed: int = 7, **model_options) -> tuple[Path, pd.DataFrame]:
    from lstm_automl.serving.model_saving import raw_signature, save_sweep_model
    from lstm_automl.serving.pyfunc import SweepModel

    data = prepare_forecast(ForecastDataConfig(source="builtin:airline", lookback=12, horizon=2,
                                               split={"validation": 24}), folder)
    model = _model(data.model_shape(), **model_options)
    model.optimizer.build(model.trainable_variables)
    spec = {**forecast_spec(data), "mc_dropout": {"samples": 40, "quantiles": [0.05, 0.95],
                                                  "seed": seed}}
    example = input_example(spec, data)
    path = folder / "model"
    save_sweep_model(model, path, raw_signature(example, SweepModel(model, spec).predict(example)),
                     [], spec, example)
    return path, example


def test_the_pyfunc_returns_mean_and_spread_repeatably_in_a_fresh_process(tmp_path: Path):
    import mlflow

    path, example = _saved(tmp_path)  # recurrent dropout only: the passes must differ anyway
    model = mlflow.pyfunc.load_model(str(path))
    first = model.predict(example)
    assert list(first.columns) == [
        "passengers_h1", "passengers_h2", "passengers_h1_std", "passengers_h1_q5",
        "passengers_h1_q95", "passengers_h2_std", "passengers_h2_q5", "passengers_h2_q95"]
    assert (first[["passengers_h1_std", "passengers_h2_std"]].to_numpy() > 0).all()
    assert (first["passengers_h1_q5"] < first["passengers_h1_q95"]).all()
    pd.testing.assert_frame_equal(model.predict(example), first)  # the same seed, the same masks
    csv = tmp_path / "history.csv"
    example.to_csv(csv, index=False)
    fresh = predict_in_fresh_process(str(path), csv, tmp_path)
    np.testing.assert_allclose(fresh.to_numpy(), first.to_numpy(), rtol=1e-5)
    other, _ = _saved(tmp_path / "other", seed=8)
    assert not np.allclose(mlflow.pyfunc.load_model(str(other)).predict(example).to_numpy(),
                           first.to_numpy())


def test_batch_norm_stays_in_inference_mode(tmp_path: Path):
    import mlflow

    path, example = _saved(tmp_path, recurrent_dropout=0.0, norm="batch")
    model = mlflow.pyfunc.load_model(str(path))
    spread = model.predict(example)
    assert np.allclose(spread[["passengers_h1_std", "passengers_h2_std"]].to_numpy(), 0.0)
    plain = model.get_raw_model()
    weights = [w.copy() for w in plain.get_weights()]
    model.predict(example)
    for before, after in zip(weights, plain.get_weights(), strict=True):  # no moving stats moved
        np.testing.assert_array_equal(before, after)


HEAD = "name: m\ndata: {source: builtin:airline}\nfinal_model: {mc_dropout: {samples: 20}}\n"


def test_validate_refuses_a_space_without_dropout_in_one_line(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, HEAD + "search: {dense_dropout: 0.3}\n")
    assert main(["validate", str(path), "--no-data"]) == 2  # dense_dropout without dense layers
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "final_model.mc_dropout: the search space has no dropout" in err[0]
    path = write_sweep(isolated_workdir, HEAD + "search: {recurrent_dropout: {choice: [0, 0.2]}}\n")
    assert main(["validate", str(path), "--no-data"]) == 0
    out = capsys.readouterr().out
    assert "final model: Monte-Carlo dropout, 20 passes (mean, std, q5, q95)" in out
    assert "note: final_model.mc_dropout: trials can have no dropout" in out
    bad = write_sweep(isolated_workdir, HEAD.replace("samples: 20", "samples: 1"))
    assert main(["validate", str(bad), "--no-data"]) == 2
    assert "final_model.mc_dropout.samples" in capsys.readouterr().err
