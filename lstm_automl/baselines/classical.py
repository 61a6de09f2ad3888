"""Strong classical forecasting baselines (AR, ETS, SARIMA) scored exactly as the network is.

A recurrent network is only worth its training cost if it beats what a statistician would fit
in a minute, so every forecasting sweep is compared with classical models. Each entry below is
its own baseline; the verdict (``results/verdict.py``) names the one strongest on the test
split, so an added entry can only raise the bar, never lower it:

* ``ar``: AR(p), lags 1..p, and its deterministic terms chosen by AIC, on the raw series;
* ``ar_seasonal``: the same with the season's lags s and s + 1 added (a season is set);
* ``ar_log``: AR on the log of a positive series, plain or seasonal lags by AIC;
* ``ar_transform``: AR on the sweep's own ``data.transform`` when it is neither raw nor log
  (differences are integrated back);
* ``ets``: exponential smoothing (Holt-Winters) with trend and season chosen by AICc;
* ``sarima``: the airline model SARIMA(0,1,1)(0,1,1)s (on log for a positive series) and a few
  neighbours chosen by AIC; without a usable season a small ARIMA search on the raw series;
* ``sarima_raw``: the airline model on a positive series itself (``sarima`` is on its log);
* ``sarima_log``: without a usable season, the ARIMA search on the log of a positive series.

Within an entry the configuration is chosen without the test split: orders, lags and trends
by AIC on every row before the test (as the network may be refit on train + validation). A log
model's back-transformed forecast ``exp(mean)`` is a median; for ``ar_log``, ``ar_transform``
and ``sarima_log`` the smearing-adjusted mean replaces it ("bias-adjusted" in the label) when
the same configuration estimated on the training rows alone forecasts the validation rows
better that way (``holdout.py``). ``sarima`` keeps its median forecast, as the published
airline-model results do.

Parameters are then held fixed: each window is forecast from its own origin with the actual
history before that origin, as the network is scored (one-step-ahead for horizon 1, H steps
from each origin otherwise). The forecasts come from the fitted states with vectorised
recursions, so thousands of windows cost no more than one filter pass.

statsmodels is imported inside the functions: importing this module costs only NumPy.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from lstm_automl.baselines import holdout
from lstm_automl.baselines.transforms import TargetTransform

METHODS = ("ar", "ets", "sarima")  # always tried; the other entries where the data allow
ENTRIES = ("ar", "ar_seasonal", "ar_log", "ar_transform", "ets", "sarima", "sarima_raw",
           "sarima_log")  # every baseline entry, in the order they are fitted and shown

# A state-space SARIMA costs about n * k_states**3 floating-point steps per likelihood
# evaluation and a fit takes a few hundred evaluations; measured on 2 shared cores:
# 12-month season, 240 rows: 0.6 s; 24-period season, 480 rows: 13 s; 52, 300 rows: 195 s.
_SARIMA_SECONDS_PER_UNIT = 3e-7
_SARIMA_MAX_FIT_ROWS = 5000  # parameters of a long series are estimated on its latest rows


@dataclass
class ClassicalForecast:
    """One classical method's forecasts of every window, in original units."""

    name: str  # the entry: "ar", "ar_log", "ets", "sarima", ... (see ``_entries``)
    label: str  # what was chosen, for people: "AR(9)", "ETS(A,Ad,M)", "SARIMA(...)12 on log"
    predictions: np.ndarray  # (n_windows, horizon), original units
    seconds: float
    model: Any = field(default=None, repr=False)  # the fitted model (``classical_spec``)


class _Fitted:
    """A model with parameters fixed at their training estimates."""

    label: str
    criterion: float  # AIC (AR, SARIMA) or AICc (ETS); lower is better within one method

    def forecast(self, series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def uses_log(self) -> bool:
        return False

    @property
    def first_origin(self) -> int:
        """The first row a window may start at (the model needs that much history)."""
        return 1

    def refit(self, series: np.ndarray, stop: int) -> _Fitted:
        """The same configuration with its parameters re-estimated on ``series[:stop]``."""
        raise NotImplementedError


class _Adjusted(_Fitted):
    """A log model's median forecasts times per-step smearing factors: mean forecasts."""

    def __init__(self, model: _Fitted, factors: np.ndarray) -> None:
        self.model, self.factors = model, factors
        self.label = f"{model.label}, bias-adjusted"
        self.criterion = model.criterion

    def forecast(self, series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
        return self.model.forecast(series, target_rows, horizon) * self.factors[None, :]


# --------------------------------------------------------------------------------------- AR


_ON = {"none": "", "log": " on log", "diff": " on differences",
       "log_diff": " on log differences", "seasonal_diff": " on seasonal differences",
       "log_seasonal_diff": " on seasonal log differences"}


@dataclass
class ArFit(_Fitted):
    """AR(p) estimated by OLS, with a constant or a linear trend where AIC asks for one, on the
    series or on one of its transforms (``data.transform``'s kinds), optionally with the
    seasonal lags s and s + 1 added to lags 1..p."""

    lags: int
    trend: str  # statsmodels AutoReg trend: "n", "c" or "ct"
    params: np.ndarray  # [const][, slope], phi for each lag of ``lag_list`` in order
    criterion: float
    label: str = ""
    seasonal_lags: tuple[int, ...] = ()
    transform: str = "none"  # a TargetTransform kind; forecasts are mapped back from it
    season: int | None = None  # for a seasonal difference
    origin: int = 0  # the series row where the fitted sample (and its time trend) starts

    def __post_init__(self) -> None:
        terms = {"n": "", "c": " with constant", "ct": " with linear trend"}[self.trend]
        extra = f" + lags {', '.join(map(str, self.seasonal_lags))}" if self.seasonal_lags else ""
        self.label = self.label or f"AR({self.lags}){extra}{terms}{_ON[self.transform]}"

    @property
    def lag_list(self) -> list[int]:
        return [*range(1, self.lags + 1), *self.seasonal_lags]

    @property
    def uses_log(self) -> bool:
        return self.transform.startswith("log")

    @property
    def first_origin(self) -> int:
        return self.origin + max(self.lag_list, default=0)

    def forecast(self, series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
        """Recursive H-step forecasts from each origin, on the actual history before it."""
        rows = np.asarray(target_rows, dtype=np.int64)
        transform = _transform(np.asarray(series, dtype=np.float64)[:int(rows.max())],
                               self.transform, self.season, history=True)
        z = transform.forward()
        lags = self.lag_list
        span = max(lags, default=0)
        if np.any(rows - span < self.origin):
            raise ValueError(f"a window starts at row {rows.min()}, before {self.label} has "
                             f"history")
        k_det = {"n": 0, "c": 1, "ct": 2}[self.trend]
        const = self.params[0] if k_det >= 1 else 0.0
        slope = self.params[1] if k_det == 2 else 0.0
        phi = self.params[k_det:]
        buffer = np.empty((len(rows), span + horizon))
        for j in range(span):
            buffer[:, j] = z[rows - span + j]
        for k in range(horizon):
            # AutoReg's time trend is 1 at the first row of its sample.
            value = const + slope * (rows - self.origin + k + 1.0)
            for coefficient, lag in zip(phi, lags, strict=True):
                value = value + coefficient * buffer[:, span + k - lag]
            buffer[:, span + k] = value
        out = buffer[:, span:]
        return out if self.transform == "none" else transform.inverse(out, rows)

    def refit(self, series: np.ndarray, stop: int) -> ArFit:
        """The same lags, trend and transform, estimated on ``series[:stop]``."""
        from statsmodels.tsa.ar_model import AutoReg

        z = _transform(series[:stop], self.transform, self.season).forward()[self.origin:]
        lags: int | list[int] = self.lag_list if self.seasonal_lags else self.lags
        params = np.asarray(AutoReg(z, lags=lags, trend=self.trend).fit().params)
        if not np.all(np.isfinite(params)):
            raise ValueError("AR estimates are not finite")
        return replace(self, params=params, criterion=float("nan"))


def _transform(values: np.ndarray, kind: str, season: int | None,
               history: bool = False) -> TargetTransform:
    """``values`` under a ``data.transform`` kind; a log of values <= 0 is refused."""
    if kind.startswith("log") and not np.all(values > 0):
        raise ValueError("the history has values <= 0, so the log model cannot use it"
                         if history else "a log model needs a strictly positive series")
    return TargetTransform.fit(kind, np.asarray(values, dtype=np.float64), season)


def _ar_designs(max_lag: int, season: int | None, n: int,
               lags: str = "both") -> list[list[int]]:
    """Lag columns in the order nested models take them: 1..max_lag (``lags`` "plain" or
    "both"), and (``lags`` "seasonal" or "both", when the rows allow it) s, s + 1, then
    1..min(max_lag, s - 1), so that every nested model of the second holds both seasonal lags."""
    designs = [list(range(1, max_lag + 1))] if lags != "seasonal" else []
    if lags != "plain" and season and season > 1 and n >= 3 * (season + 1):
        designs.append([season, season + 1, *range(1, min(max_lag, season - 1) + 1)])
    if not designs:
        raise ValueError(f"{n} rows are too few for an AR with the seasonal lags {season} and "
                         f"{(season or 0) + 1}")
    return designs


def fit_ar(train: np.ndarray, max_lag: int,
           trends: Sequence[str] = ("n", "c", "ct"), *, season: int | None = None,
           lags: str = "both") -> ArFit:
    """AR(p), 0 <= p <= max_lag, and its deterministic terms chosen by AIC, then fitted by OLS;
    with ``season``, also lags 1..p plus s and s + 1 (``lags="seasonal"``: only those).

    All candidates are compared on the same rows (the first ``max(max_lag, s + 1)`` are held
    back) so their AICs are comparable; one QR decomposition per trend and lag design gives
    every nested order's residual sum of squares, so even a few hundred lags cost a fraction
    of a second.
    """
    from statsmodels.tsa.ar_model import AutoReg

    y = np.asarray(train, dtype=np.float64)
    n = len(y)
    if max_lag < 1 or n - max_lag < 2 * max_lag + 4:
        raise ValueError(f"{n} training rows are too few for an AR search up to lag {max_lag}")
    designs = _ar_designs(max_lag, season, n, lags)
    hold = max(max(design) for design in designs)
    rows = np.arange(hold, n)
    target = y[rows]
    best: tuple[float, list[int], str] | None = None
    for trend in trends:
        deterministic = {
            "n": np.empty((len(rows), 0)),
            "c": np.ones((len(rows), 1)),
            "ct": np.column_stack([np.ones(len(rows)), rows + 1.0]),
        }[trend]
        for design in designs:
            seasonal = design[0] != 1
            lagged = np.column_stack([y[rows - lag] for lag in design])
            for aic, used in _nested_aics(np.column_stack([deterministic, lagged]), target,
                                          deterministic.shape[1], design):
                if seasonal and len(used) < 2:
                    continue
                if best is None or aic < best[0]:
                    best = (aic, used, trend)
    if best is None:
        raise ValueError("no AR candidate could be evaluated")
    aic, used, trend = best
    seasonal_lags = tuple(used[:2]) if used and used[0] != 1 else ()
    p = len(used) - len(seasonal_lags)
    used = sorted(used)
    columns: int | list[int] = used if seasonal_lags else p
    results = AutoReg(y, lags=columns, trend=trend).fit()
    params = np.asarray(results.params, dtype=np.float64)
    if not np.all(np.isfinite(params)):
        raise ValueError("AR estimates are not finite")
    return ArFit(lags=p, trend=trend, params=params, criterion=aic, seasonal_lags=seasonal_lags)


def _nested_aics(design: np.ndarray, target: np.ndarray, k_det: int,
                 lags: list[int]) -> Iterator[tuple[float, list[int]]]:
    """AIC of every model made of the first k columns (deterministic terms always in)."""
    q, r = np.linalg.qr(design)
    diagonal = np.abs(np.diag(r))
    if diagonal.min() <= 1e-9 * max(diagonal.max(), 1e-300):
        raise ValueError("the AR design is rank deficient (a constant or collinear series)")
    explained = np.cumsum((q.T @ target) ** 2)
    total = float(target @ target)
    n = len(target)
    for p in range(len(lags) + 1):
        k = k_det + p
        if k == 0:
            continue
        rss = max(total - float(explained[k - 1]), 1e-300)
        yield float(n * np.log(rss / n) + 2.0 * (k + 1)), lags[:p]


def _ar_max_lag(n: int, season: int | None) -> int:
    """Two seasons of lags (12 without a season), at most a quarter of the training rows."""
    wanted = 2 * season if season and season > 1 else 12
    return int(min(wanted, n // 4))


def fit_ar_on(series: np.ndarray, stop: int, transform: str = "none",
              season: int | None = None, lags: str = "both") -> ArFit:
    """The AIC-chosen AR of ``series[:stop]`` under one transform (AICs compare within it).
    ``lags``: "plain" (1..p only, up to two seasons: the ``ar`` entry), "seasonal" (lags
    1..p plus s and s + 1 only) or "both" (AIC chooses)."""
    kind = transform
    values = _transform(np.asarray(series, dtype=np.float64)[:stop], kind, season)
    z = values.forward()[values.lost_rows:]
    max_lag = _ar_max_lag(len(z), season)
    if max_lag < 1:
        raise ValueError(f"{len(z)} training rows are too few for an AR model")
    fit = fit_ar(z, max_lag, season=season, lags=lags)
    return replace(fit, transform=kind, season=season, origin=values.lost_rows, label="")


# -------------------------------------------------------------------------------------- ETS


@dataclass
class EtsFit(_Fitted):
    """Holt-Winters (statsmodels ``ExponentialSmoothing``): least squares, so additive error."""

    trend: str | None  # None or "add"
    damped: bool
    seasonal: str | None  # None, "add" or "mul"
    season: int | None
    params: dict[str, Any]
    criterion: float
    results: Any = field(repr=False)
    label: str = ""

    def __post_init__(self) -> None:
        trend = "N" if self.trend is None else ("Ad" if self.damped else "A")
        seasonal = {None: "N", "add": "A", "mul": "M"}[self.seasonal]
        self.label = self.label or f"ETS(A,{trend},{seasonal})"

    def forecast(self, series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
        """H-step forecasts from each origin by Hyndman's equations, from the states filtered
        with the fitted parameters and initial states over the actual history.

        statsmodels <= 0.15's own ``forecast`` uses a season-old seasonal factor at steps m,
        2m, ... (statsmodels issue #9538, fixed by PR #10230); these forecasts use the latest
        one, as the equations (and a fixed statsmodels) do. Other steps agree exactly.
        """
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        y = np.asarray(series, dtype=np.float64)
        rows = np.asarray(target_rows, dtype=np.int64)
        m = int(self.season or 0) if self.seasonal else 0
        if np.any(rows < max(m, 1)):
            raise ValueError(f"a window starts at row {rows.min()}, before one full season")
        history = y[:int(rows.max())]
        if (self.seasonal == "mul") and not np.all(history > 0):
            raise ValueError("the history has values <= 0: a multiplicative season cannot use it")
        p = self.params
        known: dict[str, Any] = {"initial_level": p["initial_level"]}
        fixed: dict[str, Any] = {"smoothing_level": p["smoothing_level"]}
        if self.trend:
            known["initial_trend"] = p["initial_trend"]
            fixed["smoothing_trend"] = p["smoothing_trend"]
            if self.damped:
                fixed["damping_trend"] = p["damping_trend"]
        if self.seasonal:
            known["initial_seasonal"] = p["initial_seasons"]
            fixed["smoothing_seasonal"] = p["smoothing_seasonal"]
        model = ExponentialSmoothing(
            history, trend=self.trend, damped_trend=self.damped, seasonal=self.seasonal,
            seasonal_periods=self.season if self.seasonal else None,
            initialization_method="known", **known)
        filtered = model.fit(optimized=False, **fixed)
        last = rows - 1  # the states after the last observed row
        level = np.asarray(filtered.level)[last][:, None]
        steps = np.arange(1, horizon + 1)
        if self.trend:
            phi = float(p["damping_trend"]) if self.damped else 1.0
            multiplier = np.cumsum(phi ** steps) if self.damped else steps.astype(np.float64)
            base = level + np.asarray(filtered.trend)[last][:, None] * multiplier[None, :]
        else:
            base = np.repeat(level, horizon, axis=1)
        if not self.seasonal:
            return base
        # Seasonal state for row t+h: the latest one of that season, s[t + h - m*(k+1)].
        index = last[:, None] - m + 1 + (steps[None, :] - 1) % m
        factors = np.asarray(filtered.season)[index]
        return base * factors if self.seasonal == "mul" else base + factors


def fit_ets(train: np.ndarray, season: int | None, *, trend: str | None = None,
            damped: bool = False, seasonal: str | None = None) -> EtsFit:
    """Fit one Holt-Winters specification by least squares (statsmodels' defaults: estimated
    initial states), the way the published Holt-Winters baseline was computed."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(train, dtype=np.float64)
    if seasonal and not (season and season > 1):
        raise ValueError("a seasonal ETS needs a season > 1")
    if seasonal and len(y) < 2 * int(season or 0):
        raise ValueError(f"{len(y)} rows are fewer than two seasons of {season}")
    if (seasonal == "mul") and not np.all(y > 0):
        raise ValueError("multiplicative seasonality needs a strictly positive series")
    if len(y) < 10:
        raise ValueError(f"{len(y)} rows are too few for exponential smoothing")
    model = ExponentialSmoothing(
        y, trend=trend, damped_trend=damped and trend is not None, seasonal=seasonal,
        seasonal_periods=season if seasonal else None)
    results = model.fit()
    criterion = float(results.aicc)
    if not np.isfinite(criterion):
        criterion = float("inf")
    return EtsFit(trend=trend, damped=bool(damped and trend), seasonal=seasonal,
                  season=season if seasonal else None, params=dict(results.params),
                  criterion=criterion, results=results)


def _ets_candidates(train: np.ndarray, season: int | None) -> list[dict[str, Any]]:
    """Trend none / additive / damped, season none / additive / multiplicative, simplest first."""
    trends: list[tuple[str | None, bool]] = [(None, False), ("add", False), ("add", True)]
    seasonals: list[str | None] = [None]
    if season and season > 1 and len(train) >= 2 * season:
        seasonals.append("add")
        if np.all(train > 0):
            seasonals.append("mul")
    return [{"trend": t, "damped": d, "seasonal": s} for s in seasonals for t, d in trends]


# ----------------------------------------------------------------------------------- SARIMA


@dataclass
class SarimaFit(_Fitted):
    """A (S)ARIMA estimated by exact maximum likelihood (statsmodels ``SARIMAX``)."""

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend: str  # "n" or "c" (a drift when differenced)
    log: bool
    criterion: float
    results: Any = field(repr=False)
    label: str = ""

    def __post_init__(self) -> None:
        p, d, q = self.order
        big_p, big_d, big_q, s = self.seasonal_order
        if s > 1:
            name = f"SARIMA({p},{d},{q})({big_p},{big_d},{big_q}){s}"
        else:
            name = f"ARIMA({p},{d},{q})"
        if self.trend == "c":
            name += " with drift" if d + big_d else " with constant"
        self.label = self.label or (name + (" on log" if self.log else ""))

    @property
    def uses_log(self) -> bool:
        return self.log

    def refit(self, series: np.ndarray, stop: int) -> SarimaFit:
        """The same orders, trend and log, estimated on ``series[:stop]`` (its latest rows)."""
        train = np.asarray(series, dtype=np.float64)[:stop][-_SARIMA_MAX_FIT_ROWS:]
        return fit_sarima(train, self.order, self.seasonal_order, log=self.log, trend=self.trend,
                          start_params=np.asarray(self.results.params))

    def forecast(self, series: np.ndarray, target_rows: np.ndarray, horizon: int) -> np.ndarray:
        """H-step forecasts from each origin: the Kalman filter runs once over the actual history
        with the parameters fixed (``results.apply``), then each origin's predicted state is
        propagated through the transition equation."""
        rows = np.asarray(target_rows, dtype=np.int64)
        history = np.asarray(series, dtype=np.float64)[:int(rows.max())]
        if self.log:
            if not np.all(history > 0):
                raise ValueError("the history has values <= 0, so the log model cannot use it")
            history = np.log(history)
        applied = self.results.apply(history)
        ssm = applied.model.ssm
        design = np.asarray(ssm["design"], dtype=np.float64).reshape(1, -1)
        transition = np.asarray(ssm["transition"], dtype=np.float64)
        obs_intercept = float(np.asarray(ssm["obs_intercept"]).reshape(-1)[0])
        state_intercept = _constant_columns(np.asarray(ssm["state_intercept"], dtype=np.float64))
        if transition.ndim != 2 or not np.allclose(ssm["obs_intercept"], obs_intercept):
            raise ValueError("only time-invariant state-space models are supported")
        state = np.asarray(applied.predicted_state)[:, rows]  # a_{o | o-1} for each origin o
        out = np.empty((len(rows), horizon))
        for k in range(horizon):
            out[:, k] = obs_intercept + (design @ state)[0]
            state = state_intercept[:, None] + transition @ state
        return np.exp(out) if self.log else out


def _constant_columns(matrix: np.ndarray) -> np.ndarray:
    """A state intercept that statsmodels stores per time step but that does not change."""
    if matrix.ndim == 1:
        return matrix
    if not np.allclose(matrix, matrix[:, :1]):
        raise ValueError("a time-varying state intercept is not supported")
    return matrix[:, 0]


def fit_sarima(train: np.ndarray, order: tuple[int, int, int],
               seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0), *,
               log: bool = False, trend: str = "n",
               start_params: np.ndarray | None = None) -> SarimaFit:
    """Fit one (S)ARIMA by exact maximum likelihood (statsmodels' defaults, as the published
    airline-model baseline), on the logs of ``train`` when ``log``; ``start_params`` (an
    estimate on fewer rows) only shortens the optimizer's path."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = np.asarray(train, dtype=np.float64)
    if log:
        if not np.all(y > 0):
            raise ValueError("a log model needs a strictly positive series")
        y = np.log(y)
    if np.ptp(y) == 0:
        raise ValueError("the series is constant")
    model = SARIMAX(y, order=order, seasonal_order=seasonal_order, trend=trend)
    results = model.fit(disp=False, start_params=start_params)
    aic = float(results.aic)
    if not np.isfinite(aic) or not np.all(np.isfinite(results.params)):
        raise ValueError("the likelihood or the estimates are not finite")
    return SarimaFit(order=order, seasonal_order=seasonal_order, trend=trend, log=log,
                     criterion=aic, results=results)


_SEASONAL_ORDERS: list[tuple[tuple[int, int, int], tuple[int, int, int]]] = [
    ((0, 1, 1), (0, 1, 1)),  # the airline model first: it is kept when the budget runs out
    ((1, 1, 0), (0, 1, 1)),
    ((1, 1, 1), (0, 1, 1)),
    ((0, 1, 2), (0, 1, 1)),
    ((0, 1, 1), (1, 1, 1)),
]
_NONSEASONAL_ORDERS = {  # (p, q, trend) by the differencing order d
    0: [(1, 0, "c"), (2, 0, "c"), (1, 1, "c"), (2, 1, "c"), (0, 1, "c")],
    1: [(0, 1, "n"), (1, 0, "n"), (1, 1, "n"), (2, 1, "n"), (0, 1, "c")],
}


def _sarima_states(order: tuple[int, int, int], seasonal: tuple[int, int, int], s: int) -> int:
    p, d, q = order
    big_p, big_d, big_q = seasonal
    return d + big_d * s + max(p + big_p * s, q + big_q * s + 1)


def differencing_order(y: np.ndarray) -> int:
    """1 when an augmented Dickey-Fuller test cannot reject a unit root at 5%, else 0."""
    from statsmodels.tsa.stattools import adfuller

    max_lag = int(min(12, len(y) // 4))
    p_value = adfuller(y, maxlag=max_lag, autolag="AIC")[1]
    return 1 if p_value > 0.05 else 0


# ---------------------------------------------------------------------------- the searches


@contextmanager
def _quiet_statsmodels() -> Iterator[list[warnings.WarningMessage]]:
    """Record warnings instead of printing them; the caller counts convergence failures."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        yield caught


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """One BLAS thread while the models fit: their matrices are a few dozen rows wide, so
    threads only add synchronisation, and on a shared machine (2 busy cores, measured) they made
    the airline baselines about 8 times slower. threadpoolctl comes with scikit-learn."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn, a dependency, brings it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _converged(caught: list[warnings.WarningMessage]) -> bool:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


@dataclass
class _Search:
    """Fits candidates in order, keeps the best converged one, stops at the deadline."""

    method: str
    deadline: float
    fitted: list[_Fitted] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    not_converged: int = 0
    tried: int = 0
    skipped_for_time: int = 0

    def run(self, candidates: Sequence[Callable[[], _Fitted]]) -> None:
        for i, candidate in enumerate(candidates):
            if i > 0 and time.monotonic() > self.deadline:
                self.skipped_for_time = len(candidates) - i
                break
            self.tried += 1
            try:
                with _quiet_statsmodels() as caught:
                    model = candidate()
            except Exception as exc:  # statsmodels raises many kinds; one failed fit is a note
                self.failures.append(_one_line(exc))
                continue
            if not _converged(caught):
                self.not_converged += 1
                continue
            self.fitted.append(model)

    def best(self) -> _Fitted:
        if not self.fitted:
            if self.tried == len(self.failures) and len(set(self.failures)) == 1:
                raise ValueError(self.failures[0])
            reasons = []
            if self.not_converged:
                reasons.append(f"{self.not_converged} did not converge")
            if self.failures:
                reasons.append(f"{len(self.failures)} failed: {self.failures[0]}")
            raise ValueError(f"none of {self.tried} candidates fitted ({'; '.join(reasons)})")
        return min(self.fitted, key=lambda model: model.criterion)

    def notes(self) -> list[str]:
        notes = []
        if self.skipped_for_time:
            notes.append(f"{self.method}: search capped by the time budget after "
                         f"{self.tried} of {self.tried + self.skipped_for_time} candidates")
        if self.fitted and (self.not_converged or self.failures):
            notes.append(f"{self.method}: {self.not_converged + len(self.failures)} of "
                         f"{self.tried} candidates left out (not converged or failed)")
        return notes


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass(frozen=True)
class _Rows:
    """The series and where its parts start: every row before the test estimates a model, the
    validation rows decide a log model's bias adjustment."""

    y: np.ndarray
    validation_start: int
    fit_stop: int
    horizon: int
    season: int | None
    transform: str  # the sweep's data.transform

    @property
    def before_test(self) -> np.ndarray:
        return self.y[:self.fit_stop]

    @property
    def positive(self) -> bool:
        return bool(np.all(self.y[:self.fit_stop] > 0))


def _median_or_mean(entry: str, model: _Fitted, rows: _Rows) -> tuple[_Fitted, list[str]]:
    """A log model's median forecast, or its smearing-adjusted mean when that measures better
    on the validation rows; the comparison uses the same configuration re-estimated on the
    training rows only, so nothing after ``validation_start`` was fitted to."""
    if not model.uses_log or rows.validation_start >= rows.fit_stop:
        return model, []
    try:
        with _quiet_statsmodels() as caught:
            early = model.refit(rows.y, rows.validation_start)
        if not _converged(caught):
            raise ValueError("the estimate on the training rows did not converge")
        chosen = holdout.choose([(early, True, early.first_origin)], rows.y,
                                (rows.validation_start, rows.fit_stop), rows.horizon)
        if chosen.factors is None:
            return model, []
        factors = holdout.smearing_factors(model, rows.y, model.first_origin, rows.fit_stop,
                                           rows.horizon)
    except Exception as exc:  # the median forecast stays an honest baseline
        return model, [f"{entry}: {model.label} kept as a median forecast ({_one_line(exc)})"]
    return _Adjusted(model, factors), []


def _ar_entry(entry: str, rows: _Rows, deadline: float, transform: str,
              lags: str) -> tuple[_Fitted, list[str]]:
    """One AR entry: the AIC-chosen lags and trend of one transform of the rows before the
    test split; for a log transform, median or mean chosen on the validation rows."""
    search = _Search(entry, deadline)
    search.run([_bind(fit_ar_on, rows.y, rows.fit_stop, transform, rows.season, lags)])
    model, notes = _median_or_mean(entry, search.best(), rows)
    return model, search.notes() + notes


def _user_transform(rows: _Rows) -> str | None:
    """The sweep's own transform when it is neither raw nor log and usable on these rows."""
    user = rows.transform
    if user in ("none", "log") or (user.startswith("log") and not rows.positive):
        return None
    if "seasonal" in user and not rows.season:
        return None
    return user


def _choose_ets(train: np.ndarray, season: int | None,
                deadline: float) -> tuple[_Fitted, list[str]]:
    if len(train) < 10:
        raise ValueError(f"{len(train)} training rows are too few for exponential smoothing")
    search = _Search("ets", deadline)
    search.run([_bind(fit_ets, train, season, **spec) for spec in _ets_candidates(train, season)])
    notes = search.notes()
    if season and season > 1 and len(train) < 2 * season:
        notes.append(f"ets: no seasonal model ({len(train)} training rows are fewer than two "
                     f"seasons of {season})")
    return search.best(), notes


def _seasonal_possible(n: int, season: int | None, budget_s: float) -> tuple[bool, list[str]]:
    """A seasonal SARIMA needs three seasons of rows and a state small enough to fit in time."""
    if not (season and season > 1):
        return False, []
    states = _sarima_states(*_SEASONAL_ORDERS[0], season)
    estimate = _SARIMA_SECONDS_PER_UNIT * n * states**3
    if n < 3 * season + 2:
        return False, [f"sarima: no seasonal model ({n} training rows are fewer than three "
                       f"seasons of {season}); a non-seasonal ARIMA instead"]
    if estimate > budget_s / 4:
        return False, [f"sarima: no seasonal model (season {season} needs {states} states, "
                       f"about {estimate:.0f} s per fit); a non-seasonal ARIMA instead"]
    return True, []


def _sarima_train(rows: _Rows) -> np.ndarray:
    return rows.before_test[-_SARIMA_MAX_FIT_ROWS:]


def _arima_search(train: np.ndarray, log: bool) -> list[Callable[[], _Fitted]]:
    """The small non-seasonal ARIMA search, its differencing order from an ADF test."""
    if len(train) < 20:
        raise ValueError(f"{len(train)} training rows are too few for an ARIMA")
    with _quiet_statsmodels():
        d = differencing_order(np.log(train) if log else train)
    return [_bind(fit_sarima, train, (p, d, q), trend=trend, log=log)
            for p, q, trend in _NONSEASONAL_ORDERS[d]]


def _choose_sarima(rows: _Rows, deadline: float, seasonal: bool) -> tuple[_Fitted, list[str]]:
    """The ``sarima`` entry: the airline model and its neighbours (on log for a positive
    series), or the ARIMA search on the raw series, chosen by AIC."""
    train = _sarima_train(rows)
    search = _Search("sarima", deadline)
    if seasonal and rows.season is not None:
        positive = bool(np.all(train > 0))
        search.run([_bind(fit_sarima, train, order, (*seas, rows.season), log=positive)
                    for order, seas in _SEASONAL_ORDERS])
    else:
        search.run(_arima_search(train, log=False))
    return search.best(), search.notes()


def _choose_sarima_raw(rows: _Rows, deadline: float) -> tuple[_Fitted, list[str]]:
    """The ``sarima_raw`` entry: the airline model on the positive series itself."""
    assert rows.season is not None
    search = _Search("sarima_raw", deadline)
    order, seasonal = _SEASONAL_ORDERS[0]
    search.run([_bind(fit_sarima, _sarima_train(rows), order, (*seasonal, rows.season))])
    return search.best(), search.notes()


def _choose_sarima_log(rows: _Rows, deadline: float) -> tuple[_Fitted, list[str]]:
    """The ``sarima_log`` entry: the ARIMA search on the log of a positive series."""
    search = _Search("sarima_log", deadline)
    search.run(_arima_search(_sarima_train(rows), log=True))
    model, notes = _median_or_mean("sarima_log", search.best(), rows)
    return model, search.notes() + notes


def _bind(function: Callable[..., _Fitted], *args: Any, **kwargs: Any) -> Callable[[], _Fitted]:
    return lambda: function(*args, **kwargs)


_Chooser = Callable[[], tuple[_Fitted, list[str]]]


def _entries(rows: _Rows, deadline: float, budget_s: float) -> dict[str, _Chooser]:
    """Every baseline entry these rows allow, in the order they are fitted and shown.
    ``ar``, ``ets`` and ``sarima`` are always tried; each other entry is one more variant,
    fitted once, so the strongest can only get stronger."""
    ar_specs = {"ar": ("none", "plain")}
    if rows.season and rows.fit_stop >= 3 * (rows.season + 1):
        ar_specs["ar_seasonal"] = ("none", "seasonal")
    if rows.positive:
        ar_specs["ar_log"] = ("log", "both")
    user = _user_transform(rows)
    if user is not None:
        ar_specs["ar_transform"] = (user, "both")
    entries: dict[str, _Chooser] = {
        entry: partial(_ar_entry, entry, rows, deadline, transform, lags)
        for entry, (transform, lags) in ar_specs.items()}
    entries["ets"] = lambda: _choose_ets(rows.before_test, rows.season, deadline)
    why = []
    if rows.fit_stop > _SARIMA_MAX_FIT_ROWS:
        why.append(f"sarima: parameters estimated on the last {_SARIMA_MAX_FIT_ROWS} of "
                   f"{rows.fit_stop} training rows")
    seasonal, cannot = _seasonal_possible(len(_sarima_train(rows)), rows.season, budget_s)
    entries["sarima"] = lambda: _with_notes(why + cannot, _choose_sarima(rows, deadline, seasonal))
    if rows.positive and seasonal:
        entries["sarima_raw"] = lambda: _choose_sarima_raw(rows, deadline)
    elif rows.positive:
        entries["sarima_log"] = lambda: _choose_sarima_log(rows, deadline)
    return entries


def _with_notes(notes: list[str], chosen: tuple[_Fitted, list[str]]) -> tuple[_Fitted, list[str]]:
    return chosen[0], notes + chosen[1]


def classical_forecasts(series: np.ndarray, fit_stop: int, target_rows: np.ndarray, horizon: int,
                        season: int | None, *, budget_s: float = 60.0,
                        validation_start: int | None = None, transform: str = "none",
                        ) -> tuple[list[ClassicalForecast], list[str]]:
    """Fit every baseline entry on ``series[:fit_stop]`` and forecast every window.

    Window i forecasts rows ``target_rows[i] .. target_rows[i] + horizon - 1`` from the actual
    history ``series[:target_rows[i]]`` with the parameters fixed at their estimates from the
    rows before ``fit_stop``, as the network is scored. A log model's median or mean forecast
    is chosen on rows ``validation_start .. fit_stop - 1`` (the sweep's validation split; the
    last fifth of the rows before ``fit_stop`` when None); ``transform`` (the sweep's
    ``data.transform``) adds the ``ar_transform`` entry.
    Returns the forecasts that could be made, plus one-line notes for each entry that was
    skipped or capped and why: a baseline must never sink a sweep, so failures become notes
    and statsmodels' warnings stay off the console. ``budget_s`` bounds the order searches (the
    first candidate of each entry is always fitted).
    """
    y = np.asarray(series, dtype=np.float64).reshape(-1)
    rows = np.asarray(target_rows, dtype=np.int64).reshape(-1)
    if horizon < 1 or len(rows) == 0:
        raise ValueError("need at least one window and a horizon >= 1")
    if not 0 < fit_stop <= len(y) or rows.min() < 1 or rows.max() > len(y):
        raise ValueError("fit_stop and target_rows must lie inside the series")
    if validation_start is None:
        validation_start = fit_stop - max(horizon, fit_stop // 5)
    if not 0 < validation_start <= fit_stop:
        raise ValueError("validation_start must lie inside the rows before fit_stop")
    season = int(season) if season and season > 1 else None
    if not np.all(np.isfinite(y[:max(fit_stop, int(rows.max()))])):
        return [], [f"{method}: skipped (the series has missing or infinite values)"
                    for method in METHODS]
    parts = _Rows(y, validation_start, fit_stop, horizon, season, transform)
    deadline = time.monotonic() + budget_s
    entries = _entries(parts, deadline, budget_s)
    forecasts: list[ClassicalForecast] = []
    notes: list[str] = []
    for name, choose in entries.items():
        start = time.perf_counter()
        try:
            with _quiet_statsmodels(), _one_blas_thread():
                model, entry_notes = choose()
                predictions = model.forecast(y, rows, horizon)
        except Exception as exc:  # a baseline that cannot be fitted is reported, never raised
            notes.append(f"{name}: skipped ({_one_line(exc)})")
            continue
        notes.extend(entry_notes)
        if predictions.shape != (len(rows), horizon) or not np.all(np.isfinite(predictions)):
            notes.append(f"{name}: skipped ({model.label} gave non-finite forecasts)")
            continue
        forecasts.append(ClassicalForecast(name, model.label, predictions,
                                           time.perf_counter() - start, model))
    return forecasts, notes
