"""A fitted classical baseline as JSON, and back: what a blended model carries to serving.

``final_model.blend: with_baselines`` serves classical members beside the network. The pyfunc
rebuilds each from its fixed parameters and forecasts with the baseline's own ``forecast``, so
the registered blend gives the numbers the sweep measured on the test split. Only parameters are
stored: orders and estimates for a SARIMA (its Kalman filter is re-run over the caller's
history), smoothing parameters and initial states for ETS, coefficients for an AR.

statsmodels is imported inside the functions (ETS and SARIMA forecasts need it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_automl.baselines.classical import ArFit, EtsFit, SarimaFit, _Adjusted, _Fitted

_ETS_KEYS = ("initial_level", "initial_trend", "initial_seasons", "smoothing_level",
             "smoothing_trend", "smoothing_seasonal", "damping_trend")


def to_spec(model: _Fitted) -> dict[str, Any]:
    """JSON-ready parameters of a fitted baseline; ValueError for a kind it cannot store."""
    if isinstance(model, _Adjusted):
        return {"kind": "adjusted", "factors": _floats(model.factors),
                "model": to_spec(model.model), "label": model.label}
    if isinstance(model, ArFit):
        return {"kind": "ar", "lags": model.lags, "trend": model.trend,
                "params": _floats(model.params), "seasonal_lags": list(model.seasonal_lags),
                "transform": model.transform, "season": model.season, "origin": model.origin,
                "label": model.label}
    if isinstance(model, EtsFit):
        params = {k: _floats(model.params[k]) for k in _ETS_KEYS
                  if model.params.get(k) is not None}
        return {"kind": "ets", "trend": model.trend, "damped": model.damped,
                "seasonal": model.seasonal, "season": model.season, "params": params,
                "label": model.label}
    if isinstance(model, SarimaFit):
        return {"kind": "sarima", "order": list(model.order),
                "seasonal_order": list(model.seasonal_order), "trend": model.trend,
                "log": model.log, "params": _floats(model.results.params), "label": model.label}
    raise ValueError(f"{type(model).__name__} cannot be stored with a blended model")


def from_spec(spec: dict[str, Any]) -> _Fitted:
    """The baseline ``to_spec`` stored, with the same ``forecast``."""
    kind, nan = spec["kind"], float("nan")
    if kind == "adjusted":
        return _Adjusted(from_spec(spec["model"]), np.asarray(spec["factors"]))
    if kind == "ar":
        return ArFit(lags=int(spec["lags"]), trend=spec["trend"],
                     params=np.asarray(spec["params"], dtype=np.float64), criterion=nan,
                     label=spec["label"], seasonal_lags=tuple(spec["seasonal_lags"]),
                     transform=spec["transform"], season=spec["season"],
                     origin=int(spec["origin"]))
    if kind == "ets":
        params = {k: np.asarray(v) if isinstance(v, list) else v
                  for k, v in spec["params"].items()}
        return EtsFit(trend=spec["trend"], damped=bool(spec["damped"]),
                      seasonal=spec["seasonal"], season=spec["season"], params=params,
                      criterion=nan, results=None, label=spec["label"])
    if kind == "sarima":
        order, seasonal = tuple(spec["order"]), tuple(spec["seasonal_order"])
        return SarimaFit(order=order, seasonal_order=seasonal,  # type: ignore[arg-type]
                         trend=spec["trend"], log=bool(spec["log"]), criterion=nan,
                         results=_FixedSarima(order, seasonal, spec["trend"], spec["params"]),
                         label=spec["label"])
    raise ValueError(f"unknown classical member kind {kind!r}")


class _FixedSarima:
    """What ``SarimaFit.forecast`` needs of statsmodels' results: ``apply`` to a history,
    with the parameters fixed at the stored estimates."""

    def __init__(self, order: tuple[int, ...], seasonal: tuple[int, ...], trend: str,
                 params: list[float]) -> None:
        self.order, self.seasonal, self.trend = order, seasonal, trend
        self.params = np.asarray(params, dtype=np.float64)

    def apply(self, history: np.ndarray) -> Any:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        model = SARIMAX(history, order=self.order, seasonal_order=self.seasonal, trend=self.trend)
        return model.filter(self.params)


def _floats(values: Any) -> Any:
    array = np.asarray(values, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()


__all__ = ["from_spec", "to_spec"]
