"""Per-window normalisation and residual forecasting, as Keras layers built from ``keras.ops``.

Both work on the target's history channel of a forecast window. For forecasting that channel
and the model's outputs are the same transformed, scaled series (``data/forecast.py`` fits the
feature scaler's target column and the target scaler on the same values), so a level or a
simple forecast read off the window can be added to the network's output as it is.

``WindowNorm`` subtracts the window's level (its last value, or its mean over the lookback)
from the target channel, as DeepAR and N-BEATS do, so the network sees every window at the
same level; ``WindowBaseline`` adds a forecast computed from the raw window to the network's
output: that level back again, the naive forecast (the last value for every step) or the
seasonal-naive forecast, so the network only learns what that simple forecast gets wrong
(residual learning, the hybrid idea of the M4 winner).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from lstm_automl.baselines.window_ar import ar_affine
from lstm_automl.baselines.window_arima import arima_affine
from lstm_automl.baselines.window_ets import ets_norm_weights, ets_weights

LEVELS = ("last", "mean")
BASELINES = ("last", "mean", "seasonal_naive")


def window_level(window: Any, channel: int, level: str) -> Any:
    """(batch, 1): the last value or the mean of ``channel`` over the window's steps."""
    series = window[:, :, channel]
    if level == "last":
        return series[:, -1:]
    return ops.mean(series, axis=1, keepdims=True)


def seasonal_positions(steps: int, horizon: int, season: int) -> list[int]:
    """Window position of the seasonal-naive forecast of each output step: step k (from 0)
    repeats the value at ``steps - season + (k mod season)``, the same phase one season back."""
    return [steps - season + (k % season) for k in range(horizon)]


def baseline_forecast(window: Any, channel: int, horizon: int, kind: str,
                      season: int | None = None) -> Any:
    """(batch, horizon): the simple forecast ``kind`` read off the window's ``channel``."""
    if kind == "seasonal_naive":
        assert season is not None
        positions = seasonal_positions(int(window.shape[1]), horizon, season)
        return ops.take(window[:, :, channel], positions, axis=1)
    level = window_level(window, channel, kind)
    return ops.repeat(level, horizon, axis=1)


@keras.saving.register_keras_serializable(package="lstm_automl")
class WindowNorm(keras.layers.Layer):
    """Subtract the window's level (``last`` or ``mean``) of ``channel`` from that channel.

    The other channels pass unchanged; the output has the input's shape. A model using it is
    shift-invariant in that channel up to its head, where ``WindowBaseline`` adds the level back.
    """

    def __init__(self, channel: int, level: str = "last", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if level not in LEVELS:
            raise ValueError(f"window level must be one of {', '.join(LEVELS)}, got {level!r}")
        self.channel = int(channel)
        self.level = level

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[-1]
        if features is not None and not 0 <= self.channel < features:
            raise ValueError(f"target channel {self.channel} is outside the {features} input "
                             f"features")
        self.built = True

    def call(self, inputs: Any) -> Any:
        level = window_level(inputs, self.channel, self.level)
        one_hot = ops.cast(ops.equal(ops.arange(inputs.shape[-1]), self.channel), inputs.dtype)
        return inputs - ops.expand_dims(level, -1) * one_hot

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channel": self.channel, "level": self.level}


@keras.saving.register_keras_serializable(package="lstm_automl")
class WindowBaseline(keras.layers.Layer):
    """``[window, forecast]`` → ``forecast`` plus a simple forecast read off the raw window.

    ``baseline``: ``last`` (the naive forecast, and the level ``WindowNorm(level="last")``
    took off), ``mean`` (that level for ``level="mean"``) or ``seasonal_naive`` (step k: the
    value at ``steps - season + (k mod season)`` of the window; needs ``season <= steps``).
    """

    def __init__(self, channel: int, horizon: int, baseline: str = "last",
                 season: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {', '.join(BASELINES)}, got {baseline!r}")
        if baseline == "seasonal_naive" and (season is None or season < 1):
            raise ValueError("the seasonal-naive baseline needs a season length >= 1")
        self.channel = int(channel)
        self.horizon = int(horizon)
        self.baseline = baseline
        self.season = None if season is None else int(season)

    def build(self, input_shape: Any) -> None:
        window_shape, forecast_shape = input_shape
        steps, features = window_shape[1], window_shape[-1]
        if features is not None and not 0 <= self.channel < features:
            raise ValueError(f"target channel {self.channel} is outside the {features} input "
                             f"features")
        if forecast_shape[-1] is not None and forecast_shape[-1] != self.horizon:
            raise ValueError(f"the forecast has {forecast_shape[-1]} steps, not the horizon "
                             f"{self.horizon}")
        if self.baseline == "seasonal_naive":
            assert self.season is not None
            if steps is None or steps < self.season:
                raise ValueError(f"the seasonal-naive baseline needs a lookback of at least one "
                                 f"season ({self.season}), got {steps}")
        self.built = True

    def call(self, inputs: Any) -> Any:
        window, forecast = inputs
        base = baseline_forecast(window, self.channel, self.horizon, self.baseline, self.season)
        return forecast + ops.cast(base, forecast.dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return tuple(input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channel": self.channel, "horizon": self.horizon,
                "baseline": self.baseline, "season": self.season}


class _FixedForecast(keras.layers.Layer):
    """``[window, forecast]`` → ``forecast`` plus a classical model's forecast of the window,
    with parameters fitted once on the training rows and kept in the layer's config (so a saved
    model carries them). With its parameters fixed the forecast is one affine map of the window's
    last values (``affine``): no trainable weights, and each window is forecast from its own
    history only."""

    def __init__(self, channel: int, horizon: int, params: list[float] | tuple[float, ...],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channel, self.horizon = int(channel), int(horizon)
        self.params = [float(v) for v in params]
        self._weights: list[list[float]] = []
        self._bias: list[float] = []

    def affine(self, steps: int) -> tuple[Any, Any]:
        """(weights (k, horizon), bias (horizon,)) over the window's last k steps."""
        raise NotImplementedError

    def min_steps(self) -> int:
        return 1

    def build(self, input_shape: Any) -> None:
        window_shape, forecast_shape = input_shape
        steps, features = window_shape[1], window_shape[-1]
        if features is not None and not 0 <= self.channel < features:
            raise ValueError(f"target channel {self.channel} is outside the {features} input "
                             f"features")
        if steps is None or steps < self.min_steps():
            raise ValueError(f"the {self.name} needs a lookback of at least {self.min_steps()}, "
                             f"got {steps}")
        if forecast_shape[-1] is not None and forecast_shape[-1] != self.horizon:
            raise ValueError(f"the forecast has {forecast_shape[-1]} steps, not the horizon "
                             f"{self.horizon}")
        weights, bias = self.affine(int(steps))
        self._weights, self._bias = weights.tolist(), bias.tolist()
        self.built = True

    def call(self, inputs: Any) -> Any:
        window, forecast = inputs
        lags = len(self._weights)
        history = ops.cast(window[:, -lags:, self.channel], "float32")
        weights = ops.convert_to_tensor(self._weights, dtype="float32")
        bias = ops.convert_to_tensor(self._bias, dtype="float32")
        return forecast + ops.cast(ops.matmul(history, weights) + bias, forecast.dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return tuple(input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channel": self.channel, "horizon": self.horizon,
                "params": list(self.params)}


@keras.saving.register_keras_serializable(package="lstm_automl")
class ArBaseline(_FixedForecast):
    """``residual: ar``: ``params`` = (const, phi_1..phi_p) (``baselines/window_ar.py``); the
    recursive H-step forecast from the window's last p target values."""

    def __init__(self, channel: int, horizon: int, params: list[float] | tuple[float, ...],
                 **kwargs: Any) -> None:
        super().__init__(channel, horizon, params, **kwargs)
        if len(self.params) < 2:
            raise ValueError("the AR baseline needs a constant and at least one lag")

    def min_steps(self) -> int:
        return len(self.params) - 1

    def affine(self, steps: int) -> tuple[Any, Any]:
        return ar_affine(tuple(self.params), self.horizon)


@keras.saving.register_keras_serializable(package="lstm_automl")
class EtsBaseline(_FixedForecast):
    """``residual: ets``: ``params`` = (alpha, beta, gamma, phi, season, trend)
    (``baselines/window_ets.py``); additive Holt-Winters restarted at the window's first step."""

    def __init__(self, channel: int, horizon: int, params: list[float] | tuple[float, ...],
                 **kwargs: Any) -> None:
        super().__init__(channel, horizon, params, **kwargs)
        if len(self.params) != 6:
            raise ValueError("the ETS baseline needs (alpha, beta, gamma, phi, season, trend)")

    def min_steps(self) -> int:
        return int(self.params[4]) + 1 if self.params[4] else 2

    def affine(self, steps: int) -> tuple[Any, Any]:
        import numpy as np

        return ets_weights(tuple(self.params), steps, self.horizon), np.zeros(self.horizon)


@keras.saving.register_keras_serializable(package="lstm_automl")
class ArimaBaseline(_FixedForecast):
    """``residual: arima``: ``params`` = (d, p, q, mean, phi..., theta...)
    (``baselines/window_arima.py``); the ARMA filter on the window's differences, restarted at its
    first step."""

    def __init__(self, channel: int, horizon: int, params: list[float] | tuple[float, ...],
                 **kwargs: Any) -> None:
        super().__init__(channel, horizon, params, **kwargs)
        d, p, q = (int(v) for v in self.params[:3])
        if len(self.params) != 4 + p + q:
            raise ValueError("the ARIMA baseline needs (d, p, q, mean, phi..., theta...)")

    def min_steps(self) -> int:
        return int(sum(self.params[:3])) + 1

    def affine(self, steps: int) -> tuple[Any, Any]:
        return arima_affine(tuple(self.params), steps, self.horizon)


@keras.saving.register_keras_serializable(package="lstm_automl")
class EtsNorm(keras.layers.Layer):
    """``window_norm: ets``: the target channel less the level and season the fixed ETS holds
    after each step (``baselines/window_ets.ets_normalised``, restarted at the window's first step),
    so the network sees the deseasonalised, level-free series, as in ES-RNN (additively: the
    channel is scaled and may be <= 0). ``EtsBaseline`` puts the ETS forecast back."""

    def __init__(self, channel: int, params: list[float] | tuple[float, ...],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channel = int(channel)
        self.params = [float(v) for v in params]
        self._weights: list[list[float]] = []

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        steps, features = input_shape[1], input_shape[-1]
        if features is not None and not 0 <= self.channel < features:
            raise ValueError(f"target channel {self.channel} is outside the {features} input "
                             f"features")
        if steps is None or steps <= int(self.params[4]):
            raise ValueError(f"the ETS window norm needs a lookback longer than its season "
                             f"({int(self.params[4])}), got {steps}")
        self._weights = ets_norm_weights(tuple(self.params), int(steps)).tolist()
        self.built = True

    def call(self, inputs: Any) -> Any:
        series = inputs[:, :, self.channel]
        weights = ops.convert_to_tensor(self._weights, dtype=inputs.dtype)
        shift = ops.matmul(series, weights) - series
        one_hot = ops.cast(ops.equal(ops.arange(inputs.shape[-1]), self.channel), inputs.dtype)
        return inputs + ops.expand_dims(shift, -1) * one_hot

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channel": self.channel, "params": list(self.params)}


@keras.saving.register_keras_serializable(package="lstm_automl")
class ShiftIn(keras.layers.Layer):
    """``[window, forecast]`` → the window one step later: its first step dropped and the
    one-step forecast appended. Chains a one-step network into a recursive multi-step forecast
    (``search.multi_step: recursive``); only for windows whose one channel is the target."""

    def call(self, inputs: Any) -> Any:
        window, forecast = inputs
        step = ops.expand_dims(ops.cast(forecast, window.dtype), -1)  # (batch, 1, 1)
        return ops.concatenate([window[:, 1:, :], step], axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return tuple(input_shape[0])


__all__ = ["ArBaseline", "ArimaBaseline", "BASELINES", "EtsBaseline", "EtsNorm", "LEVELS",
           "ShiftIn", "WindowBaseline", "WindowNorm", "baseline_forecast", "seasonal_positions",
           "window_level"]
