"""Rolling-origin backtesting: where each fold's training part ends and its validation begins.

Expanding window, as sktime's and darts' ``ExpandingWindowSplitter``: every fold trains on all
rows before its origin and validates on the ``validation`` rows right after it. The last fold is
the ordinary train/validation split; each earlier origin lies ``step`` rows before the next.
Test rows come after the last fold's validation part, so no fold ever touches them. NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_automl.data.base import Windows
from lstm_automl.data.scaling import Scaler
from lstm_automl.errors import DataError


@dataclass
class BacktestFold:
    """One validation origin: its rows, windows and the scalers fitted on its training rows."""

    number: int  # 1 = earliest origin; the last fold is the ordinary split
    train_rows: tuple[int, int]
    validation_rows: tuple[int, int]
    train: Windows
    validation: Windows
    feature_scaler: Scaler
    target_scaler: Scaler

    @property
    def origin(self) -> int:
        """The first validation row: nothing from here on is used to train or scale."""
        return self.validation_rows[0]


def fold_rows(n_train: int, n_val: int, folds: int,
              step: int | None) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(training rows, validation rows) per fold, earliest first, as [start, stop) pairs."""
    step = step or n_val
    rows = []
    for k in range(folds):
        origin = n_train - (folds - 1 - k) * step
        rows.append(((0, origin), (origin, origin + n_val)))
    return rows


def check_folds(n_train: int, n_val: int, folds: int, step: int | None, needed: int,
                needs: str) -> None:
    """DataError naming ``data.backtest`` when the earliest origin leaves too few training rows.

    ``needed``: the training rows one fold needs (lookback + horizon + rows the transform
    loses), explained by ``needs``.
    """
    step = step or n_val
    earliest = n_train - (folds - 1) * step
    if earliest >= needed:
        return
    most = max((n_train - needed) // step + 1, 0)
    fits = (f"at most {most} folds fit with step {step}" if most >= 2 else
            f"not even 2 folds fit with step {step}")
    raise DataError(
        f"data.backtest: {folds} folds with step {step} leave {max(earliest, 0)} training rows "
        f"before the earliest origin, but {needs} need at least {needed}; {fits} in the "
        f"{n_train} training rows (lower data.backtest.folds or data.backtest.step)"
    )
