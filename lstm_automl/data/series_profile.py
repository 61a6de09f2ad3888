"""What a preset needs to know about a training series: positivity, whether its spread grows
with its level, whether it has a unit root or trend, and how strong its season is.

The tests are the ones auto-ARIMA decides with (Hyndman and Khandakar's ``auto.arima``): KPSS
for a unit root (level stationarity refused at 5 %, lags ``trunc(4 (n/100)^(1/4))``) and the
seasonal strength of a decomposition against the 0.64 threshold of its ``nsdiffs`` test.
NumPy only, a few milliseconds: ``validate`` runs them, and must stay light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KPSS_CRITICAL_5PCT = 0.463  # level stationarity (Kwiatkowski et al. 1992, table 1)
SEASONAL_STRENGTH = 0.64  # auto.arima's nsdiffs(test="seas") threshold
LOG_SLOPE = 0.5  # spread ~ level^slope: log once the spread grows at least like sqrt(level)


@dataclass(frozen=True)
class SeriesProfile:
    """The facts about a training series the preset's choices rest on."""

    rows: int
    positive: bool
    spread_slope: float | None  # d log(spread) / d log(level) across blocks; None: unknown
    kpss: float  # the KPSS level statistic of the (log) series
    seasonal_strength: float | None  # None without a season or with under 3 seasons

    @property
    def wants_log(self) -> bool:
        return self.positive and self.spread_slope is not None and \
            self.spread_slope >= LOG_SLOPE

    @property
    def trending(self) -> bool:
        """A unit root or trend: KPSS refuses a stationary level at 5 %."""
        return self.kpss > KPSS_CRITICAL_5PCT

    @property
    def seasonal(self) -> bool:
        return self.seasonal_strength is not None and \
            self.seasonal_strength >= SEASONAL_STRENGTH


def profile_series(values: np.ndarray, season: int | None) -> SeriesProfile:
    """Profile the training rows ``values`` (original units) of a series with ``season``."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    positive = bool(len(x) and np.all(x > 0))
    slope = spread_slope(x, season) if positive else None
    level = np.log(x) if positive and slope is not None and slope >= LOG_SLOPE else x
    # The decomposition's moving average takes the trend out: no differencing first (it
    # amplifies the noise against the season, most at short periods such as weeks).
    return SeriesProfile(len(x), positive, slope, kpss_stat(level),
                         seasonal_strength(level, season))


def kpss_stat(x: np.ndarray) -> float:
    """The KPSS statistic for level stationarity, Bartlett-weighted long-run variance."""
    n = len(x)
    if n < 8 or np.ptp(x) == 0:
        return 0.0
    e = x - x.mean()
    partial = np.cumsum(e)
    lags = min(int(4 * (n / 100) ** 0.25), n - 1)
    variance = float(e @ e) / n
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        variance += 2 * weight * float(e[lag:] @ e[:-lag]) / n
    return float(partial @ partial) / (n * n * max(variance, 1e-300))


def seasonal_strength(x: np.ndarray, season: int | None) -> float | None:
    """``max(0, 1 - var(remainder) / var(seasonal + remainder))`` of a classical additive
    decomposition (centred moving-average trend, mean seasonal pattern); None without a
    season or with fewer than three of them."""
    if not season or season < 2 or len(x) < 3 * season:
        return None
    trend = _centred_average(x, season)
    detrended = x - trend
    ok = np.isfinite(detrended)
    positions = np.arange(len(x)) % season
    pattern = np.array([detrended[ok & (positions == p)].mean() for p in range(season)])
    pattern -= pattern.mean()
    remainder = detrended[ok] - pattern[positions[ok]]
    total = float(np.var(detrended[ok]))
    return 0.0 if total == 0 else max(0.0, 1.0 - float(np.var(remainder)) / total)


def _centred_average(x: np.ndarray, season: int) -> np.ndarray:
    """The centred moving average over one season (2 x m for an even m); NaN at the ends."""
    weights = np.ones(season + 1 - season % 2)
    if season % 2 == 0:
        weights[0] = weights[-1] = 0.5
    weights /= season
    half = len(weights) // 2
    out = np.full(len(x), np.nan)
    out[half:len(x) - half] = np.convolve(x, weights, mode="valid")
    return out


def spread_slope(x: np.ndarray, season: int | None) -> float | None:
    """How the spread of blocks (one season, else 12 rows) around their own line grows with
    their level, on log scales; None with fewer than four blocks or a flat level."""
    size = season if season and season >= 4 else 12
    blocks = [x[i:i + size] for i in range(0, len(x) - size + 1, size)]
    if len(blocks) < 4:
        return None
    steps = np.arange(size)
    levels, spreads = [], []
    for block in blocks:
        fitted = np.polyval(np.polyfit(steps, block, 1), steps)
        levels.append(block.mean())
        spreads.append(np.std(block - fitted))
    levels_a, spreads_a = np.array(levels), np.array(spreads)
    if np.any(spreads_a <= 0) or levels_a.max() / levels_a.min() < 1.25:
        return None
    return float(np.polyfit(np.log(levels_a), np.log(spreads_a), 1)[0])
