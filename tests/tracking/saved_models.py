"""Tiny untrained models saved the way a sweep saves them (raw data in), for serving tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.serving.raw import forecast_spec, input_example


def tiny_model(shape: tuple[int, ...], cell: str = "peephole") -> Any:
    from lstm_automl.model.hypermodel import build_model

    values = {
        "cell": cell, "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None,
    }
    return build_model(values, shape, seed=1)


def save_raw_model(data: Any, spec: dict[str, Any], folder: Path) -> Path:
    """``folder/model``: an MLflow model folder that takes raw tables, as a sweep writes it."""
    from lstm_automl.serving.model_saving import raw_signature, save_sweep_model
    from lstm_automl.serving.pyfunc import SweepModel

    model = tiny_model(data.model_shape())
    model.optimizer.build(model.trainable_variables)
    example = input_example(spec, data)
    output = SweepModel(model, spec).predict(example)
    path = folder / "model"
    save_sweep_model(model, path, raw_signature(example, output), [], spec, example)
    return path


def airline_forecast(folder: Path) -> tuple[Any, dict[str, Any], Path]:
    """(data, spec, model folder): airline passengers, lookback 12, two steps, log_diff."""
    data = prepare_forecast(ForecastDataConfig(
        source="builtin:airline", lookback=12, horizon=2, transform="log_diff",
        split={"validation": 24}), folder)
    spec = forecast_spec(data)
    return data, spec, save_raw_model(data, spec, folder)


def history(data: Any, rows: int) -> pd.DataFrame:
    """The last ``rows`` months before the test split, as the raw table a user would send."""
    end = int(data.splits["test"].index[0])
    return pd.DataFrame({"month": data.time_values[end - rows:end],
                         "passengers": data.series[end - rows:end]})
