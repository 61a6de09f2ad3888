"""Checks of a valid sweep that need its data read: the size of the training split against the
searched batch sizes, and whether the classical models behind ``residual`` and ``window_norm``
can be fitted on it. ``validate`` (unless ``--no-data``) and the run header print the notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_automl.config import schema as cfg
from lstm_automl.config.params import short_list
from lstm_automl.config.window_rules import FORECASTERS
from lstm_automl.errors import ConfigError

if TYPE_CHECKING:
    from lstm_automl.sweep_file.loader import LoadedSweep

def add_data_notes(loaded: LoadedSweep, data: Any, variants: Any = None) -> None:
    """Add the notes that need the data read to ``loaded.notes`` (once), where ``validate``
    (unless ``--no-data``) and the run header print the loader's notes.

    ``data`` is the prepared ``SweepData``; ``variants`` the ``ForecastVariants`` of a sweep that
    searches data settings, whose smallest training split counts.
    """
    prepared = variants.all() if variants is not None else [data]
    sizes = [len(d.splits["train"].x) for d in prepared]
    problem, fit_notes = residual_fit_checks(loaded.config, prepared)
    if problem:
        raise ConfigError(loaded.source or str(loaded.path), [problem])
    label_notes = [n for d in prepared for n in getattr(d, "label_notes", list)()]
    for note in [*data_notes(loaded.config, sizes), *fit_notes, *label_notes]:
        if note not in loaded.notes:
            loaded.notes.append(note)


def residual_fit_checks(config: cfg.SweepConfig, prepared: list[Any]) -> tuple[str | None,
                                                                               list[str]]:
    """(problem, notes) of ``residual: ar``, ``ets`` and ``arima`` once the data is read: each
    model is fitted on the training rows, which may be too few (or a constant target) in every
    data variant (refused) or in some (those trials build without it)."""
    specs = config.search.specs()
    residuals, norms = (cfg.spec_values(specs.get(k)) or [specs.get(k)]
                        for k in ("residual", "window_norm"))
    wanted = [v for v in ("ar", "ets", "arima") if v in residuals]
    if "ets" in norms and "ets" not in wanted:
        wanted.append("ets")
    if config.data.task not in FORECASTERS or not wanted:
        return None, []
    shapes = [(d, d.model_shape()) for d in prepared]
    shapes = [(d, shape) for d, shape in shapes if shape.target_channel is not None]
    for kind in wanted:
        lacking = [d for d, shape in shapes if shape.classical(kind) is None]
        if not lacking:
            continue
        key = "residual" if kind in residuals else "window_norm"
        why = _unfitted(kind, key, min(len(d.splits["train"].x) for d in lacking))
        if len(lacking) == len(shapes):
            return why, []
        return None, [f"{why}: trials on those data variants build without it"]
    return None, []


def _unfitted(kind: str, key: str, windows: int) -> str:
    if kind == "ar":
        from lstm_automl.baselines.window_ar import MIN_WINDOWS_PER_LAG  # defers numpy


        return ("search.residual: ar needs an AR model fitted on the training windows, and " + (
            f"{windows} training windows are too few (at least {MIN_WINDOWS_PER_LAG})"
            if windows < MIN_WINDOWS_PER_LAG else "the target is constant over them"))
    what, rows = (("exponential smoothing", 10) if kind == "ets" else ("an ARIMA model", 20))
    return (f"search.{key}: {kind} needs {what} fitted on the training rows, and "
            f"{windows} training windows are too few (at least {rows} rows)")


def data_notes(config: cfg.SweepConfig, train_sizes: list[int]) -> list[str]:
    """Notes on the search space given the training split's size in windows (forecast) or
    sequences, one size per data variant: a batch larger than the training set is the whole set,
    so those trials take one gradient step per epoch."""
    if not train_sizes:
        return []
    fewest = min(train_sizes)
    unit = "training windows" if config.data.task in FORECASTERS else "training sequences"
    count = f"{fewest} {unit}" if fewest == max(train_sizes) else (
        f"{fewest} {unit} (fewest of the searched data variants)")
    sizes = sorted({int(b) for b in cfg.spec_values(config.search.batch_size) or []})
    over = [b for b in sizes if b > fewest]
    if not over:
        return []
    if len(sizes) == 1:
        return [f"search.batch_size: {over[0]} is larger than the {count}: each epoch is a "
                f"single batch"]
    if len(over) == len(sizes):
        return [f"search.batch_size: every choice ({short_list(over)}) is larger than the "
                f"{count}: each epoch is a single batch"]
    return [f"search.batch_size: {short_list(over)} {'is' if len(over) == 1 else 'are'} larger "
            f"than the {count}: trials with {'it' if len(over) == 1 else 'them'} train on a "
            f"single batch per epoch"]
