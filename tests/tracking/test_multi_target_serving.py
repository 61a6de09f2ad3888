"""A saved model of two targets takes raw history and returns both, each in its own units,
exactly as the sweep scored them (differenced targets rebuilt on their own last levels)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data import prepare_forecast
from lstm_automl.errors import RawInputError
from lstm_automl.serving.raw import forecast_spec, input_example

pytestmark = pytest.mark.backend_contract


def _data(folder: Path):
    rows = [f"{i},{500 + 80 * math.sin(i / 2) + i:.3f},{20 + 3 * math.cos(i / 3):.3f},{i % 4}"
            for i in range(90)]
    (folder / "two.csv").write_text("step,load,temp,hum\n" + "\n".join(rows) + "\n")
    return prepare_forecast(ForecastDataConfig(
        source="two.csv", target=["load", "temp"], features=["temp", "hum", "load"],
        time_column="step", lookback=6, horizon=3, transform="diff",
        split={"validation": 0.2, "test": 0.2}), folder)


@pytest.mark.usefixtures("keras_session")
def test_raw_history_gives_each_target_in_its_units(tmp_path):
    import mlflow

    from lstm_automl.model.hypermodel import build_model
    from lstm_automl.serving.model_saving import raw_signature, save_sweep_model
    from lstm_automl.serving.pyfunc import SweepModel

    data = _data(tmp_path)
    values = {"cell": "gru", "bidirectional": False, "layers": 1, "units": [4],
              "dropout": [0.0], "recurrent_dropout": [0.0], "conv_front": False,
              "conv_filters": None, "conv_kernel_size": None, "dense_layers": 0,
              "dense_units": [], "dense_activation": None, "learning_rate": 1e-2,
              "optimizer": "adam", "loss": "mse", "batch_size": 8, "clipnorm": None}
    model = build_model(values, data.model_shape(), seed=1)
    model.optimizer.build(model.trainable_variables)
    spec = forecast_spec(data)
    assert spec["targets"] == ["load", "temp"] and len(spec["target_scaler"]["scale"]) == 2
    example = input_example(spec, data)
    path = tmp_path / "model"
    save_sweep_model(model, path, raw_signature(example, SweepModel(model, spec).predict(
        example)), [], spec, example)

    loaded = mlflow.pyfunc.load_model(str(path))
    test = data.splits["test"]
    end = int(test.index[0])
    history = pd.DataFrame({c: data.columns[c][end - 20:end] for c in ("load", "temp", "hum")})
    raw = loaded.predict(history)
    assert list(raw.columns) == ["load_h1", "load_h2", "load_h3", "temp_h1", "temp_h2",
                                 "temp_h3"]
    expected = data.inverse_target(model.predict(test.x[:1], verbose=0), test.index[:1])
    np.testing.assert_allclose(raw.to_numpy(), expected, rtol=1e-4)
    assert abs(raw["load_h1"].iloc[0] - data.columns["load"][end - 1]) < 300  # load's units
    with pytest.raises(RawInputError, match="column 'temp' is missing"):
        loaded.predict(history.drop(columns="temp"))
