"""When the window settings (``window_norm``, ``residual``, ``multi_step: recursive``) can act.

One set of predicates, asked twice: by ``validate`` on the sweep file (``params.window_checks``,
an entry of ``sweep_file/rules.py``), which refuses a sweep where no trial could use a setting,
and by the model builder (``model/hypermodel.py``), which builds a trial without a setting its
data cannot use. Plain values in, so the two cannot disagree on the rule.

Light: no imports beyond the standard library.
"""

from __future__ import annotations

FORECAST = "forecast"
# Tasks whose model is a forecaster of one series (detect scores its one-step errors).
FORECASTERS = (FORECAST, "detect")
NOT_FORECAST = "only for task: forecast"
TARGET_NOT_INPUT = "the target is not an input channel"


def window_blocker(task: str, target_is_input: bool) -> str | None:
    """Why ``window_norm`` and ``residual`` cannot act on a model, or None when they can.

    Both work on the target's history channel of a forecast window, so they need a forecast
    whose inputs include the target.
    """
    if task not in FORECASTERS:
        return NOT_FORECAST
    if not target_is_input:
        return TARGET_NOT_INPUT
    return None


def season_fits(season: int | None, lookback: int) -> bool:
    """Whether ``residual: seasonal_naive`` can look one season back: a known season no longer
    than the window."""
    return season is not None and season <= lookback


def recursive_fits(task: str, outputs: int, target_only_input: bool) -> bool:
    """Whether ``multi_step: recursive`` can feed each forecast back as the next input: a
    forecast of several values (``outputs``: the horizon) whose one input channel is the target
    (the future values of any other channel are unknown)."""
    return task == FORECAST and outputs > 1 and target_only_input
