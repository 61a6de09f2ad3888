"""Time budgets as people write them: ``2h``, ``30m``, ``90s``, ``1h30m``, ``1.5h`` or seconds.

Light (no TensorFlow): the schema checks budgets with it and the console prints them with it.
"""

from __future__ import annotations

import math
import re

UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([dhms])")
PATTERN = r"^\s*(?:(?:\d+(?:\.\d*)?|\.\d+)\s*[dhmsDHMS]\s*)+$"  # the JSON Schema's too
_WHOLE = re.compile(PATTERN)
FORM = "a duration such as 2h, 30m, 90s or 1h30m (or a number of seconds)"


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; ValueError saying the accepted form when it is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"expected {FORM}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and _WHOLE.match(value.lower()):
        seconds = sum(float(n) * UNITS[u] for n, u in _PART.findall(value.lower()))
    else:
        raise ValueError(f"expected {FORM}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("must be longer than 0 seconds")
    return seconds


def format_duration(seconds: float) -> str:
    """``1h05m``, ``12m30s``, ``45s``: short, for console lines."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    shown = "".join(f"{n}{unit}" for n, unit in parts if n)
    return shown or "0s"
