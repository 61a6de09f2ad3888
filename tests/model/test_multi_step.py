"""``search.multi_step: recursive``: one one-step network chained over the horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.data.base import ModelShape

VALUES = {"cell": "gru", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
          "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
          "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
          "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
          "batch_size": 8, "clipnorm": None, "window_norm": "none", "residual": "none",
          "multi_step": "recursive"}


def _shape(horizon: int, features: int = 1) -> ModelShape:
    return ModelShape(8, features, horizon, "forecast", target_channel=0, season=4)


def test_each_step_is_the_one_step_network_on_the_window_shifted_by_its_own_forecasts(
        keras_session):
    from lstm_automl.model.hypermodel import build_model

    model = build_model(VALUES, _shape(3), seed=1)
    step = model.get_layer("one_step")
    x = np.random.default_rng(0).normal(size=(5, 8, 1)).astype("float32")
    out = model.predict(x, verbose=0)
    assert out.shape == (5, 3)
    window = x
    for k in range(3):
        expected = step.predict(window, verbose=0)[:, 0]
        np.testing.assert_allclose(out[:, k], expected, rtol=1e-5, atol=1e-6)
        window = np.concatenate([window[:, 1:, :], expected[:, None, None]], axis=1)


def test_recursive_model_trains_saves_and_reloads(keras_session, tmp_path: Path):
    import keras

    import lstm_automl.model.cells  # noqa: F401  (registers the layers, as the model loaders do)
    from lstm_automl.model.hypermodel import build_model

    values = {**VALUES, "window_norm": "last", "residual": "seasonal_naive"}
    model = build_model(values, _shape(6), seed=2)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 8, 1)).astype("float32"), rng.normal(size=(16, 6))
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_recursive_is_dropped_with_a_warning_where_it_cannot_apply(keras_session):
    from lstm_automl.model.hypermodel import build_model

    with pytest.warns(UserWarning, match="only input channel"):
        model = build_model(VALUES, _shape(3, features=2), seed=1)
    assert "one_step" not in [layer.name for layer in model.layers]
    single = build_model(VALUES, _shape(1), seed=1)  # horizon 1: nothing to chain, no warning
    assert "one_step" not in [layer.name for layer in single.layers]


@pytest.mark.parametrize(("extra", "message"), [
    ("  source: builtin:GunPoint\n  task: classify\n",
     "search.multi_step: recursive is only for task: forecast"),
    ("  source: builtin:airline\n  horizon: 3\n  features: [passengers, month_number]\n",
     "search.multi_step: recursive needs the target as the only input channel"),
])
def test_validate_refuses_recursive_where_no_trial_could_use_it(tmp_path, capsys, extra,
                                                                  message):
    text = "name: r\ndata:\n" + extra + "search:\n  multi_step: recursive\n"
    assert main(["validate", "--no-data", str(write_sweep(tmp_path, text))]) == 2
    assert message in capsys.readouterr().err
