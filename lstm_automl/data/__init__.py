"""Data stages of a sweep: sources, splits, scaling and windows. NumPy only, no TensorFlow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstm_automl.config import ForecastDataConfig
from lstm_automl.data.base import ModelShape, SweepData, Windows
from lstm_automl.data.builtin import DATASETS, SEQUENCE_DATASETS
from lstm_automl.data.forecast import ForecastData, prepare_forecast
from lstm_automl.data.sequences import SequenceData, prepare_sequences
from lstm_automl.errors import DataError

if TYPE_CHECKING:
    from lstm_automl.loader import LoadedSweep


def load_data(loaded: LoadedSweep) -> SweepData:
    """The data a sweep will see; errors about sweep keys name the sweep file too."""
    config = loaded.config
    try:
        if isinstance(config.data, ForecastDataConfig):
            return prepare_forecast(config.data, loaded.base_dir)
        return prepare_sequences(config.data, loaded.base_dir, config.seed)
    except DataError as exc:
        if str(exc).startswith("data."):
            raise DataError(f"{loaded.source or loaded.path}: {exc}") from None
        raise


__all__ = ["DATASETS", "SEQUENCE_DATASETS", "ForecastData", "ModelShape", "SequenceData",
           "SweepData", "Windows", "load_data", "prepare_forecast", "prepare_sequences"]
