"""Calendar and seasonal-lag input channels of a forecast window (``data.calendar``,
``data.seasonal_lag``).

A recurrent network does not find a 12-month season in 24 raw lags by itself; it is told which
month (day of week, hour) each step is, and optionally the value one season earlier.

Each input row carries the calendar of the *next* step's time: every value is known at the
window's origin (times follow from the frequency), and the window's last row names the period of
the first forecast step, so the network knows which month it forecasts (later steps follow it).
One tensor keeps every model, ``window_norm`` and ``residual`` unchanged: the extra channels come
after the data's own. Each cycle is encoded as sin and cos of its phase: two channels per cycle
instead of 12 (or 24, or 1440) one-hot ones, December next to January, already in [-1, 1], so
the target's scaler never touches them. Training (``data/forecast.py``) and the registered
model (``serving/raw.py``) both use this module. NumPy and pandas only (pandas imported where
the channels are made, so a sweep without them never loads it).
"""

from __future__ import annotations

import re

import numpy as np

# cycle -> its phase in [0, 1) for each time
_PHASES = {
    "month": lambda t: (t.month - 1) / 12.0,
    "quarter": lambda t: (t.quarter - 1) / 4.0,
    "day_of_week": lambda t: t.dayofweek / 7.0,
    "week_of_year": lambda t: (t.dayofyear - 1) / 365.25,
    "hour": lambda t: (t.hour + t.minute / 60.0) / 24.0,
    "time_of_day": lambda t: (t.hour * 3600 + t.minute * 60 + t.second) / 86_400.0,
}
_MONTHS = re.compile(r"^(\d*)([MQY])")


def cycles_for(freq: str | None) -> list[str]:
    """The calendar cycles a frequency (``time_index`` alias) can show; [] when it has none
    (yearly times, an unknown spacing)."""
    if not freq or freq.startswith("every"):
        return []
    months = _MONTHS.match(freq)
    if months:  # every n months: the month moves unless n is whole years
        count = int(months[1] or 1) * {"M": 1, "Q": 3, "Y": 12}[months[2]]
        return [] if count % 12 == 0 else ["quarter"] if months[2] == "Q" else ["month"]
    if freq == "W":
        return ["week_of_year"]
    if freq in ("D", "B"):
        return ["day_of_week", "month"]
    if freq.endswith("D"):
        return ["month"]
    if freq.endswith("h"):
        return ["hour", "day_of_week"]
    return ["time_of_day", "day_of_week"]  # minutes, seconds


def channel_names(cycles: list[str]) -> list[str]:
    return [f"calendar_{c}_{part}" for c in cycles for part in ("sin", "cos")]


def step_after(times: np.ndarray, freq: str) -> np.ndarray:
    """Each time moved one step of ``freq`` forward (the month of a monthly time + 1, ...)."""
    import pandas as pd  # deferred: only sweeps with data.calendar need it (validate, issue 25)

    stamps = pd.DatetimeIndex(times)
    months = _MONTHS.match(freq)
    if months:
        count = int(months[1] or 1) * {"M": 1, "Q": 3, "Y": 12}[months[2]]
        moved = stamps + pd.DateOffset(months=count)
    elif freq == "B":
        moved = stamps + pd.offsets.BDay(1)
    elif freq == "W":
        moved = stamps + pd.Timedelta(days=7)
    else:
        moved = stamps + pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    return moved.to_numpy().astype("datetime64[us]")


def cycle_values(times: np.ndarray, cycles: list[str]) -> np.ndarray:
    """(rows, 2 x cycles) float32: sin and cos of each cycle's phase at each time."""
    import pandas as pd  # deferred: only sweeps with data.calendar need it (validate, issue 25)

    stamps = pd.DatetimeIndex(times)
    columns = []
    for cycle in cycles:
        angle = 2 * np.pi * np.asarray(_PHASES[cycle](stamps), dtype=np.float64)
        columns.extend((np.sin(angle), np.cos(angle)))
    if not columns:
        return np.zeros((len(stamps), 0), np.float32)
    return np.column_stack(columns).astype(np.float32)


def calendar_channels(times: np.ndarray, freq: str, cycles: list[str]) -> np.ndarray:
    """The calendar each row carries: that of the step after it (see the module's note)."""
    return cycle_values(step_after(times, freq), cycles)


def lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` (rows x columns) moved ``lag`` rows later; the first ``lag`` rows are NaN
    (no window may start before them)."""
    out = np.full(values.shape, np.nan, dtype=np.float64)
    out[lag:] = values[:-lag]
    return out
