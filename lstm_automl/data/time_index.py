"""Time columns read as dates or numbers, checked, ordered, and their spacing named.

Text order is wrong for most time columns (``10/1/1949`` before ``2/1/1949``, ``100`` before
``95``), and a forecaster's lookback, horizon and season count rows, so the rows must be evenly
spaced: the frequency and the season follow from the parsed times' spacing, never from how the
text looks. Training data loading (and so ``validate``) and the pyfunc's preprocessing
(``predict``, serving) use this one module. NumPy, and pandas only where NumPy cannot do it:
ISO dates NumPy reads exactly (checked by writing them back) and the spacing of dates are done
in NumPy, so ``validate`` of a file with ISO dates never imports pandas (about half of its start-up
time, issue 25); a time format, UTC offsets, fractional seconds and refused values go to pandas.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_automl.errors import DataError, RawInputError

if TYPE_CHECKING:
    import pandas as pd

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?)?)?$")
_ZONED = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_SLASHED = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_ISO_HELP = "numbers or ISO dates (1949-01, 1949-01-31, 1949-01-31 14:00, 1949-Q1)"
_DAY_NS = 86_400 * 10**9
_DAY_US, _MINUTE_US = 86_400 * 10**6, 60 * 10**6
Rows = Callable[[int], int]  # a position in the given values -> the row number to show


class _Bad(Exception):
    """One refused value or spacing; the text already names its row(s)."""


class _Gap(_Bad):
    """Times not evenly spaced: a training file can add the missing rows."""


@dataclass(frozen=True)
class TimeIndex:
    """A time column in time order: what each row's time is and how far apart they are."""

    kind: str  # "date" or "number"
    times: np.ndarray  # datetime64[us] (UTC, naive) or float64, in time order
    order: np.ndarray  # the given rows' positions, in time order
    labels: list[str]  # each time as written, in time order
    freq: str | None  # "MS", "QS", "W", "D", "h", "5min", "every 1", ...; None: one row
    description: str  # "monthly, month start" ("" for numbers)
    season: int | None
    time_format: str | None = None

    @property
    def frequency(self) -> str:
        return f"{self.freq} ({self.description})" if self.description else str(self.freq)

    def span(self) -> str:
        """The parsed range: ``1949-01-01..1960-12-01 (144 rows)``."""
        return f"{self.shown(0)}..{self.shown(len(self.times) - 1)} ({len(self.times)} rows)"

    def shown(self, k: int) -> str:
        if self.kind == "number":
            return f"{self.times[k]:g}"
        micros = self.times.astype("datetime64[us]").astype(np.int64)
        # the day, plus the clock where any time has one: minutes, or seconds where any has them
        unit = "D" if not (micros % _DAY_US).any() else (
            "m" if not (micros % _MINUTE_US).any() else "s")
        return str(np.datetime_as_string(self.times[k], unit=unit)).replace("T", " ")

    def first_at_or_after(self, value: str) -> int | None:
        """Position of the first time at or after ``value`` (a date split); ValueError when
        ``value`` is not a time of this column's kind."""
        value = value.strip()
        if self.kind == "date" and re.fullmatch(r"\d{4}", value):
            value += "-01"  # a year: its first day
        try:
            kind, parsed = _parse_texts([value], self.time_format, lambda i: 0)
        except _Bad:
            if self.time_format is None:
                raise ValueError(f"'{value}' is not a time ({_ISO_HELP})") from None
            try:  # an ISO value is understood beside a column with its own format
                kind, parsed = _parse_texts([value], None, lambda i: 0)
            except _Bad:
                raise ValueError(f"'{value}' matches neither data.time_format "
                                 f"'{self.time_format}' nor an ISO date") from None
        if kind != self.kind:
            raise ValueError(f"'{value}' is a {kind}, but the time column holds {self.kind}s")
        later = np.flatnonzero(self.times >= parsed[0])
        return int(later[0]) if len(later) else None


def index_times(values: Sequence[str], *, where: str, column: str,
                time_format: str | None = None, first_row: int = 2,
                line: Rows | None = None) -> TimeIndex:
    """A training file's time column, parsed and checked; DataError naming the file, the
    column and the file's row (``line``: a value's line in the file, as ``Table.line``; else
    ``first_row``: the row of the first value, after the header)."""
    try:
        return _index(list(values), time_format, line or (lambda i: i + first_row))
    except _Bad as bad:
        fill = (" (add the missing rows with empty values and set data.fill: ffill or "
                "interpolate)") if isinstance(bad, _Gap) else ""
        raise DataError(f"{where}: column '{column}', {bad}{fill}") from None


def parse_times(values: Sequence[str], *, where: str, column: str,
                time_format: str | None = None, first_row: int = 2,
                line: Rows | None = None) -> np.ndarray:
    """A time column as dates or numbers, in file order, without the spacing checks (a long
    table's sequences each start their own clock; it has no data.time_format); DataError
    naming the file's row."""
    try:
        return _parse(list(values), time_format, line or (lambda i: i + first_row),
                      formats=False)[1]
    except _Bad as bad:
        raise DataError(f"{where}: column '{column}', {bad}") from None


def ordered_history(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """A raw history in time order, refused (RawInputError naming the row) when a time is
    empty, not a time, repeated, or the spacing has a gap or differs from training's."""
    return history_in_order(frame, spec)[0]


def history_in_order(frame: pd.DataFrame,
                     spec: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``ordered_history`` and the parsed times of its rows (None without a time column)."""
    column = spec.get("time_column")
    if not column or column not in frame.columns:
        return frame, None
    try:
        index = _index(frame[column], spec.get("time_format"), lambda i: i + 1)
    except _Bad as bad:
        raise RawInputError(f"column '{column}', {bad}") from None
    trained = spec.get("time_freq")
    if trained and index.freq is not None and index.freq != trained:
        raise RawInputError(f"column '{column}': the history is spaced {index.frequency}, but "
                            f"the model was trained on {trained} data")
    return frame.iloc[index.order], index.times


def ordered_cases(frame: pd.DataFrame, case_column: str, time_column: str) -> pd.DataFrame:
    """A long table in (case, time) order with its times parsed as dates or numbers, never
    sorted as text; RawInputError naming the row (data rows from 1) when a time is empty or not
    a time, or a case repeats one. Each case keeps its own clock, so spacing is not checked."""
    try:
        times = _parse(frame[time_column], None, lambda i: i + 1, formats=False)[1]
    except _Bad as bad:
        raise RawInputError(f"column '{time_column}', {bad}") from None
    cases = frame[case_column].astype(str).to_numpy()
    order = np.lexsort((times, cases))  # by case, then by parsed time
    same = (cases[order][1:] == cases[order][:-1]) & (times[order][1:] == times[order][:-1])
    if same.any():
        first, second = sorted(int(r) for r in order[np.flatnonzero(same)[0]:][:2])
        raise RawInputError(f"column '{time_column}', rows {first + 1} and {second + 1}: case "
                            f"'{cases[first]}' repeats the time {frame[time_column].iloc[first]}; "
                            f"every step of a case needs its own time")
    return frame.iloc[order]


def _index(values: Sequence[Any] | pd.Series, time_format: str | None, row: Rows) -> TimeIndex:
    kind, times, texts = _parse(values, time_format, row)
    order = np.argsort(times, kind="stable")
    ordered = times[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(same):
        first, second = sorted((int(order[same[0]]), int(order[same[0] + 1])))
        raise _Bad(f"rows {row(first)} and {row(second)}: the time {texts[first]} repeats; "
                   f"every time must appear once")
    labels = [texts[i] for i in order]
    freq, description, season = (None, "", None) if len(ordered) < 2 else \
        _spaced(kind, ordered, labels, lambda k: row(int(order[k])))
    return TimeIndex(kind, ordered, order, labels, freq, description, season, time_format)


def _spaced(kind: str, times: np.ndarray, labels: list[str],
            row: Rows) -> tuple[str, str, int | None]:
    """The spacing in UTC; for times written with UTC offsets that are uneven in UTC, their
    local clock's (daily or monthly data across a daylight-saving change)."""
    try:
        return _spacing(kind, times, labels, row)
    except _Bad as in_utc:
        local = _local_clock(kind, labels)
        if local is None:
            raise
        try:
            return _spacing(kind, local, labels, row)
        except _Bad:
            raise in_utc from None


def _local_clock(kind: str, labels: list[str]) -> np.ndarray | None:
    """The times as their local clock shows them, when each carries a UTC offset and the
    local clock runs forward; else None."""
    if kind != "date" or not all(len(t) > 10 and _ZONED.search(t) for t in labels):
        return None
    import pandas as pd  # deferred: times with UTC offsets only (see the module's docstring)

    local = pd.to_datetime(pd.Series([_ZONED.sub("", t) for t in labels]), format="ISO8601",
                           errors="coerce")
    clock = local.to_numpy().astype("datetime64[us]")
    if local.isna().any() or not (np.diff(clock) > np.timedelta64(0, "us")).all():
        return None
    return clock


# --------------------------------------------------------------------------- parsing


def _parse(values: Sequence[Any] | pd.Series, time_format: str | None, row: Rows,
           formats: bool = True) -> tuple[str, np.ndarray, list[str]]:
    """(kind, times, each time as text) in the given order; ``formats``: errors may point to
    data.time_format."""
    pd = sys.modules.get("pandas")  # a pandas Series means pandas is loaded already
    if pd is not None and isinstance(values, pd.Series) and \
            pd.api.types.is_datetime64_any_dtype(values):
        missing = np.flatnonzero(values.isna().to_numpy())
        if len(missing):
            raise _Bad(f"row {row(int(missing[0]))}: empty; every row needs a time")
        stamps = pd.DatetimeIndex(values)
        if stamps.tz is not None:
            stamps = stamps.tz_convert("UTC").tz_localize(None)
        return "date", stamps.to_numpy().astype("datetime64[us]"), [str(v) for v in stamps]
    texts = [_text(v) for v in values]
    kind, times = _parse_texts(texts, time_format, row, formats)
    return kind, times, texts


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    import pandas as pd  # deferred: only for cells that are not text (a pandas history)

    if value is None or pd.isna(value):
        return ""  # None, NaN, NaT or pd.NA: an empty cell
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # pandas reads a column of years with an empty cell as floats
    return str(value).strip()


def _parse_texts(texts: list[str], time_format: str | None, row: Rows,
                 formats: bool = True) -> tuple[str, np.ndarray]:
    for i, text in enumerate(texts):
        if not text:
            raise _Bad(f"row {row(i)}: empty; every row needs a time")
    if time_format:
        import pandas as pd  # deferred: NumPy reads no strftime formats

        parsed = pd.to_datetime(pd.Series(texts), format=time_format, errors="coerce")
        return "date", _checked(parsed, texts, row, f"does not match data.time_format "
                                                    f"'{time_format}'")
    shape = _shape(texts[0], row(0), formats)
    for i, text in enumerate(texts):
        if _shape(text, row(i), formats) != shape:
            raise _Bad(f"row {row(i)}: {text!r} is not written like row {row(0)} "
                       f"({texts[0]!r}); every time needs the same form")
    if shape == "number":
        numbers = np.array([float(t) for t in texts])
        huge = np.flatnonzero(~np.isfinite(numbers))
        if len(huge):
            raise _Bad(f"row {row(int(huge[0]))}: {texts[huge[0]]!r} is too large a number")
        return "number", numbers
    iso = [_QUARTER.sub(lambda m: f"{m[1]}-{3 * int(m[2]) - 2:02d}", t) for t in texts]
    zoned = bool(_ZONED.search(iso[0])) and len(iso[0]) > 10
    exact = None if zoned else _numpy_dates(iso)
    if exact is not None:
        return "date", exact
    import pandas as pd  # deferred: UTC offsets, fractional seconds, refused values

    parsed = pd.to_datetime(pd.Series(iso), format="ISO8601", errors="coerce", utc=zoned)
    return "date", _checked(parsed, texts, row, "is not a valid date")


def _numpy_dates(iso: list[str]) -> np.ndarray | None:
    """ISO dates (and minutes or seconds) as NumPy reads them, where it reads each exactly as
    pandas would: every time written back gives its text, and the year is in the range every
    pandas version takes. None: pandas parses them (and names the refused row)."""
    try:
        parsed = np.array(iso, dtype="datetime64")
    except (ValueError, TypeError, OverflowError):  # a day, month or hour out of range
        return None
    if np.datetime_data(parsed.dtype)[0] not in ("M", "D", "m", "s"):
        return None
    written = np.datetime_as_string(parsed)
    if any(w != t.replace(" ", "T", 1) for w, t in zip(written.tolist(), iso, strict=True)):
        return None
    years = parsed.astype("datetime64[Y]").astype(np.int64) + 1970
    if years.min() < 1678 or years.max() > 2261:  # pandas < 3 keeps nanoseconds
        return None
    return parsed.astype("datetime64[us]")


def _checked(parsed: pd.Series, texts: list[str], row: Rows, problem: str) -> np.ndarray:
    import pandas as pd  # loaded already: ``parsed`` is a pandas Series

    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise _Bad(f"row {row(i)}: {texts[i]!r} {problem}")
    stamps = pd.DatetimeIndex(parsed)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    return stamps.to_numpy().astype("datetime64[us]")


def _shape(text: str, row: int, formats: bool = True) -> str:
    """How a time is written: ``number``, ``quarter`` or its ISO layout (digits as 9)."""
    if _NUMBER.match(text):
        return "number"
    if _QUARTER.match(text):
        return "quarter"
    if _ISO.match(text):
        return re.sub(r"\d+", "9", text)
    slashed = _SLASHED.match(text)
    if slashed and formats:
        raise _Bad(f"row {row}: {text!r}: {_order_hint(slashed)}")
    other = ", or set data.time_format (e.g. '%d.%m.%Y %H:%M')" if formats else ""
    raise _Bad(f"row {row}: {text!r} is neither a number nor an ISO date; allowed: "
               f"{_ISO_HELP}{other}")


def _order_hint(found: re.Match[str]) -> str:
    first, sep, second, year = int(found[1]), found[2], int(found[3]), found[4]
    y = "%Y" if len(year) == 4 else "%y"
    month_first, day_first = f"'%m{sep}%d{sep}{y}'", f"'%d{sep}%m{sep}{y}'"
    if first > 12:
        return f"day first; set data.time_format: {day_first}"
    if second > 12:
        return f"month first; set data.time_format: {month_first}"
    return (f"the day/month order is ambiguous; set data.time_format: {month_first} (month "
            f"first) or {day_first} (day first)")


# --------------------------------------------------------------------------- spacing


def _spacing(kind: str, times: np.ndarray, labels: list[str],
             row: Rows) -> tuple[str, str, int | None]:
    """(freq, description, season) of evenly spaced times; _Bad naming the row after a gap."""
    if kind == "number":
        steps = np.diff(times)
        usual = float(np.median(steps))
        off = np.flatnonzero(~np.isclose(steps, usual, rtol=1e-6, atol=0.0))
        if len(off):
            raise _gap(off[0], f"{steps[off[0]]:g}", f"{usual:g} apart", labels, row)
        return f"every {usual:g}", "", None
    stamps = _Dates(times)
    one_clock = bool((stamps.clock == stamps.clock[0]).all())
    if one_clock:
        monthly = _monthly(stamps, labels, row)
        if monthly is not None:
            return monthly
    return _fixed(stamps, one_clock, labels, row)


class _Dates:
    """The calendar of datetime64 times, in NumPy: what pandas' DatetimeIndex would say of
    them (day of the month, month end, weekday), without importing pandas (issue 25)."""

    def __init__(self, times: np.ndarray) -> None:
        self.micros = times.astype("datetime64[us]")
        self.days = self.micros.astype("datetime64[D]")  # floors, also before 1970
        self.clock = self.micros - self.days  # the time of day
        month_starts = self.micros.astype("datetime64[M]")
        self.months = month_starts.astype(np.int64)  # months since 1970-01, consecutive
        self.day = (self.days - month_starts.astype("datetime64[D]")).astype(np.int64) + 1
        self.is_month_end = (self.days + 1).astype("datetime64[M]") != month_starts
        self.dayofweek = (self.days.astype(np.int64) + 3) % 7  # Monday 0: 1970-01-01 a Thursday


def _monthly(stamps: _Dates, labels: list[str],
             row: Rows) -> tuple[str, str, int | None] | None:
    """Times on one day of the month (or every month's end) step in whole months."""
    if (stamps.day == 1).all():
        suffix, where = "S", "month start"
    elif stamps.is_month_end.all():
        suffix, where = "E", "month end"
    elif (stamps.day == stamps.day[0]).all():
        suffix, where = f"@{stamps.day[0]}", f"day {stamps.day[0]}"
    else:
        return None
    months = np.diff(stamps.months)
    values, counts = np.unique(months, return_counts=True)
    usual = int(values[np.argmax(counts)])
    unit, every = {1: ("M", "monthly"), 3: ("Q", "quarterly"), 12: ("Y", "yearly")}.get(
        usual, (f"{usual}M", f"every {usual} months"))
    off = np.flatnonzero(months != usual)
    if len(off):
        raise _gap(off[0], _plural(int(months[off[0]]), "month"), f"{_plural(usual, 'month')} "
                   f"apart ({unit}{suffix})", labels, row)
    season = 12 // usual if 12 % usual == 0 and usual < 12 else None
    return f"{unit}{suffix}", f"{every}, {where}", season


def _fixed(stamps: _Dates, one_clock: bool, labels: list[str],
           row: Rows) -> tuple[str, str, int | None]:
    """Times a fixed duration apart (weeks, days, hours, minutes), or business days."""
    steps = np.diff(stamps.micros.astype(np.int64)) * 1_000  # nanoseconds
    values, counts = np.unique(steps, return_counts=True)
    usual = int(values[np.argmax(counts)])
    off = np.flatnonzero(steps != usual)
    if not len(off):
        return _duration_freq(usual)
    days = stamps.days
    if one_clock and (stamps.dayofweek < 5).all() and \
            (np.busday_count(days[:-1], days[1:]) == 1).all():
        return "B", "business days", 5
    raise _gap(off[0], _duration(int(steps[off[0]])), f"{_duration(usual)} apart "
               f"({_duration_freq(usual)[0]})", labels, row)


def _duration_freq(ns: int) -> tuple[str, str, int | None]:
    """A fixed step's alias, words and season: the weekly cycle for days, the yearly one for
    weeks, the daily one for hours and minutes (5-minute data: 288). Seconds get none: a day
    of them is longer than any lookback worth searching."""
    hour, minute = 3_600 * 10**9, 60 * 10**9
    if ns == 7 * _DAY_NS:
        return "W", "weekly", 52
    if ns % _DAY_NS == 0:
        n = ns // _DAY_NS
        return ("D", "daily", 7) if n == 1 else (f"{n}D", f"every {n} days", None)
    if ns % hour == 0:
        n = ns // hour
        season = 24 // n if 24 % n == 0 else None
        return ("h", "hourly", 24) if n == 1 else (f"{n}h", f"every {n} hours", season)
    if ns % minute == 0:
        n = ns // minute
        season = 1_440 // n if 1_440 % n == 0 else None
        return f"{n}min", "every minute" if n == 1 else f"every {n} minutes", season
    return f"{ns / 1e9:g}s", f"every {_duration(ns)}", None


def _duration(ns: int) -> str:
    for size, unit in ((_DAY_NS, "day"), (3_600 * 10**9, "hour"), (60 * 10**9, "minute")):
        if ns % size == 0:
            return _plural(ns // size, unit)
    return f"{ns / 1e9:g} seconds"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _gap(k: int, step: str, usual: str, labels: list[str], row: Rows) -> _Gap:
    return _Gap(f"row {row(k + 1)}: {labels[k + 1]} comes {step} after {labels[k]} (row "
                f"{row(k)}), but the other times are {usual}; allowed: evenly spaced times")


__all__ = ["TimeIndex", "index_times", "ordered_history", "parse_times"]
