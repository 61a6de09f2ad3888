"""Data stages of a sweep: sources, splits, scaling and windows. NumPy only, no TensorFlow."""

from lstm_automl.data.builtin import DATASETS
from lstm_automl.data.forecast import ForecastData, Windows, prepare_forecast

__all__ = ["DATASETS", "ForecastData", "Windows", "prepare_forecast"]
