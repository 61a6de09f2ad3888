"""Data stages of a sweep: sources, splits, scaling and windows. NumPy only, no TensorFlow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstm_automl.data.builtin import DATASETS
from lstm_automl.data.forecast import ForecastData, Windows, prepare_forecast
from lstm_automl.errors import DataError

if TYPE_CHECKING:
    from lstm_automl.loader import LoadedSweep


def load_data(loaded: LoadedSweep) -> ForecastData:
    """The data a sweep will see; errors about sweep keys name the sweep file too."""
    try:
        return prepare_forecast(loaded.config.data, loaded.base_dir)
    except DataError as exc:
        if str(exc).startswith("data."):
            raise DataError(f"{loaded.source or loaded.path}: {exc}") from None
        raise


__all__ = ["DATASETS", "ForecastData", "Windows", "load_data", "prepare_forecast"]
