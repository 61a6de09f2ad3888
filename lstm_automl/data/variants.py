"""Searched data settings (lookback, transform, scaling, feature subset) as ready variants.

Each combination is prepared once, on first use, and shared by every trial that picks it; all are
checked before the first trial, so a lookback too long for the data fails up front.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.data.forecast import ForecastData, prepare_forecast

HP_PREFIX = "data."


def encode(name: str, value: Any) -> Any:
    """A keras-tuner friendly value: feature lists become ``a+b`` strings."""
    return "+".join(value) if name == "features" else value


def decode(name: str, value: Any) -> Any:
    return value.split("+") if name == "features" else value


class ForecastVariants:
    """The data variants of a forecasting sweep whose ``data`` section searches settings."""

    def __init__(self, config: ForecastDataConfig, base_dir: Path) -> None:
        self.config = config
        self.base_dir = base_dir
        self.searched = config.searched_data()
        self._cache: dict[tuple[Any, ...], ForecastData] = {}

    def get(self, **values: Any) -> ForecastData:
        concrete = self.config.variant(**values)
        key = tuple(str(getattr(concrete, name)) for name in self.searched)
        if key not in self._cache:
            self._cache[key] = prepare_forecast(concrete, self.base_dir)
        return self._cache[key]

    def default(self) -> ForecastData:
        return self.get()

    def check_all(self) -> None:
        """Prepare every combination now, so that bad ones fail before any training."""
        self.all()

    def all(self) -> list[ForecastData]:
        """Every combination, prepared (once; later calls reuse them)."""
        return [self.get(**dict(zip(self.searched, combo, strict=True)))
                for combo in itertools.product(*self.searched.values())]

    def count(self) -> int:
        total = 1
        for values in self.searched.values():
            total *= len(values)
        return total

    def from_hp_values(self, hp_values: dict[str, Any]) -> ForecastData:
        """The variant a trial's hyperparameter values name."""
        chosen = {name: decode(name, hp_values[HP_PREFIX + name]) for name in self.searched
                  if HP_PREFIX + name in hp_values}
        return self.get(**chosen)
