"""Read a CSV file into named columns with the standard library, fast and without pandas.

Errors name the file, the column and the row, because the user has to find and fix them.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_automl.errors import DataError


@dataclass
class Table:
    """A CSV file as text columns; ``numeric`` converts one column with a clear error."""

    path: Path
    columns: dict[str, list[str]]

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def require(self, column: str, key: str) -> list[str]:
        if column not in self.columns:
            raise DataError(
                f"{self.path}: {key}: column '{column}' not found; columns: "
                f"{', '.join(self.columns)}"
            )
        return self.columns[column]

    def numeric(self, column: str, key: str, allow_missing: bool = False) -> np.ndarray:
        """The column as floats; empty or NaN cells refused unless ``allow_missing`` (then NaN)."""
        values = self.require(column, key)
        out = np.empty(len(values), dtype=np.float64)
        for row, text in enumerate(values):
            try:
                out[row] = float(text) if text.strip() else math.nan
            except ValueError:
                raise DataError(
                    f"{self.path}: column '{column}', row {row + 2}: {text!r} is not a number"
                ) from None
            if math.isinf(out[row]) or (math.isnan(out[row]) and not allow_missing):
                raise DataError(
                    f"{self.path}: column '{column}', row {row + 2}: missing or non-finite value "
                    f"({text!r}); fix the file or set data.fill: ffill or interpolate"
                )
        return out


def fill_missing(values: np.ndarray, method: str, path: Path, column: str) -> np.ndarray:
    """Fill NaNs the way the user asked: carry forward, or interpolate linearly."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    valid = np.flatnonzero(~missing)
    if len(valid) < 2:
        raise DataError(f"{path}: column '{column}' has fewer than two values to fill from")
    out = values.copy()
    if method == "interpolate":
        rows = np.arange(len(values))
        out[missing] = np.interp(rows[missing], valid, values[valid])
        return out
    last = values[valid[0]]  # leading gaps take the first value: there is nothing before
    for row in range(len(out)):
        if missing[row]:
            out[row] = last
        else:
            last = out[row]
    return out


def read_csv(path: Path) -> Table:
    """Read a CSV with a header row; refuse empty, ragged or non-text files."""
    if not path.exists():
        raise DataError(f"{path}: data file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; data.source must name a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text CSV file") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{path}: the file is empty")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header repeats a column name: {', '.join(header)}")
    body = rows[1:]
    if not body:
        raise DataError(f"{path}: the file has a header but no rows")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: row {number} has {len(row)} fields, the header has {len(header)}"
            )
    columns = {name: [row[i] for row in body] for i, name in enumerate(header)}
    return Table(path=path, columns=columns)


def read_table(path: Path) -> Table:
    """A CSV file, or a Parquet file (read with pandas and pyarrow, which MLflow brings)."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return read_csv(path)
    if not path.exists():
        raise DataError(f"{path}: data file not found")
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for one cause: unreadable file
        raise DataError(f"{path}: cannot read Parquet: {exc}") from None
    columns = {str(c): ["" if v is None else repr(float(v)) if isinstance(v, float) else str(v)
                        for v in frame[c].tolist()] for c in frame.columns}
    if not columns or not frame.shape[0]:
        raise DataError(f"{path}: the file has no rows")
    return Table(path=path, columns=columns)
