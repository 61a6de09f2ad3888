"""Data stages of a sweep: sources, splits, scaling and windows. NumPy only, no TensorFlow.

The task modules are imported on first use (``load_data``, or an attribute of this package):
``lstm-sweep validate`` of a forecasting sweep then never loads the sequence modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lstm_automl.config.schema import (
    DetectDataConfig,
    ForecastDataConfig,
    LabelDataConfig,
)
from lstm_automl.errors import DataError

if TYPE_CHECKING:
    from lstm_automl.config.builtin import DATASETS, SEQUENCE_DATASETS
    from lstm_automl.data.base import ModelShape, SweepData, Windows
    from lstm_automl.data.detect import DetectData, prepare_detect
    from lstm_automl.data.forecast import ForecastData, prepare_forecast
    from lstm_automl.data.sequences import SequenceData, prepare_sequences
    from lstm_automl.data.variants import DataVariants, ForecastVariants
    from lstm_automl.sweep_file.loader import LoadedSweep

# Public name -> the module that defines it (imported when the name is first read).
_LAZY = {
    "ModelShape": "base", "SweepData": "base", "Windows": "base",
    "DATASETS": "lstm_automl.config.builtin", "SEQUENCE_DATASETS": "lstm_automl.config.builtin",
    "ForecastData": "forecast", "prepare_forecast": "forecast",
    "DetectData": "detect", "prepare_detect": "detect",
    "SequenceData": "sequences", "prepare_sequences": "sequences",
    "ForecastVariants": "variants", "DataVariants": "variants",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    path = module if "." in module else f"{__name__}.{module}"
    value = getattr(importlib.import_module(path), name)
    globals()[name] = value
    return value


def load_variants(loaded: LoadedSweep) -> DataVariants | None:
    """The data variants when the sweep searches data settings or backtests (all checked now),
    else None: the hypermodel trains each trial on its variant's splits or folds."""
    config = loaded.config
    backtest = getattr(config.data, "backtest", None) is not None
    if not (config.data.searched_data() or backtest):
        return None
    from lstm_automl.data.variants import DataVariants  # defers numpy

    variants = DataVariants(config.data, loaded.base_dir, config.seed, config.tuner.objective)
    try:
        variants.check_all()
    except DataError as exc:
        raise DataError(_named(loaded, exc)) from None
    return variants


def _named(loaded: LoadedSweep, exc: DataError) -> str:
    text = str(exc)
    return f"{loaded.source or loaded.path}: {text}" if text.startswith("data.") else text


def load_data(loaded: LoadedSweep) -> SweepData:
    """The data a sweep will see (its first variant when data settings are searched).

    Errors about sweep keys name the sweep file too.
    """
    config = loaded.config
    try:
        if isinstance(config.data, DetectDataConfig):
            from lstm_automl.data.reconstruction import prepare_detector  # defers numpy

            return prepare_detector(config.data.variant(), loaded.base_dir)
        if isinstance(config.data, ForecastDataConfig):
            from lstm_automl.data.forecast import prepare_forecast  # defers numpy

            return prepare_forecast(config.data.variant(), loaded.base_dir)
        if getattr(config.data, "text", None) is not None and \
                isinstance(config.data, LabelDataConfig):
            from lstm_automl.data.text_tags import prepare_text_tags  # defers numpy

            return prepare_text_tags(config.data, loaded.base_dir, config.seed)
        if getattr(config.data, "label_from", None) is not None:
            from lstm_automl.data.forward_labels import prepare_forward_labels  # defers numpy

            return prepare_forward_labels(config.data.variant(), loaded.base_dir, config.seed,
                                          config.tuner.objective)
        if getattr(config.data, "text", None) is not None:
            from lstm_automl.data.text import prepare_text  # defers numpy

            return prepare_text(config.data.variant(), loaded.base_dir, config.seed)
        if isinstance(config.data, LabelDataConfig):
            from lstm_automl.data.step_labels import prepare_step_labels  # defers numpy

            return prepare_step_labels(config.data.variant(), loaded.base_dir, config.seed)
        from lstm_automl.data.sequences import prepare_sequences  # defers numpy

        return prepare_sequences(config.data.variant(), loaded.base_dir, config.seed)
    except DataError as exc:
        raise DataError(_named(loaded, exc)) from None


__all__ = [
    "DATASETS", "SEQUENCE_DATASETS", "DataVariants", "DetectData", "ForecastData",
    "ForecastVariants",
    "ModelShape",
    "SequenceData", "SweepData", "Windows", "load_data", "load_variants", "prepare_detect",
    "prepare_forecast", "prepare_sequences",
]
