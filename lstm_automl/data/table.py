"""Read a CSV file into named columns with the standard library, fast and without pandas.

Errors name the file, the column and the row, because the user has to find and fix them. The
cells are kept as one fixed-width byte array per column (``TextColumn``), not one Python string
each: a string object costs about 50 bytes more than its text, so a CSV read into lists of
strings took 15 times its size in memory (and the whole sweep about 50 times).
"""

from __future__ import annotations

import csv
import math
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, overload

import numpy as np

from lstm_automl.data.source_file import LIMIT_ENV, check_data_file, max_data_bytes
from lstm_automl.errors import DataError

_CHUNK_ROWS = 1 << 13  # rows held as Python objects at once while reading


class TextColumn(Sequence[str]):
    """One column's cells as UTF-8 bytes in a numpy array, read back as ``str`` on access."""

    def __init__(self, cells: np.ndarray) -> None:
        self.cells = cells

    @classmethod
    def of(cls, texts: Sequence[str]) -> TextColumn:
        return cls(_packed([t.encode() for t in texts]))

    def __len__(self) -> int:
        return len(self.cells)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [bytes(c).decode() for c in self.cells[index]]
        return bytes(self.cells[index]).decode()

    def __iter__(self) -> Iterator[str]:
        return (bytes(c).decode() for c in self.cells)

    def floats(self) -> np.ndarray | None:
        """Every cell as a float in one numpy pass, or None when one is empty or not a number."""
        try:
            return self.cells.astype(np.float64)
        except ValueError:
            return None


def _packed(chunk: list[bytes]) -> np.ndarray:
    return np.array(chunk, dtype=bytes) if chunk else np.zeros(0, dtype="S1")


@dataclass
class Table:
    """A CSV file as text columns; ``numeric`` converts one column with a clear error.

    ``shifts`` are the file's departures from "data row i is on line i + 2" (blank lines, a
    header after blank lines, quoted cells over several lines): (first row, lines added from
    there on), so that ``line`` names the line an editor shows without a number kept per row.
    """

    path: Path
    columns: dict[str, TextColumn]
    shifts: tuple[tuple[int, int], ...] = field(default=())

    def line(self, row: int) -> int:
        """The file line where data row ``row`` (0-based, header excluded) starts."""
        at = bisect_right(self.shifts, (row, math.inf)) - 1
        return row + 2 + (self.shifts[at][1] if at >= 0 else 0)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def require(self, column: str, key: str) -> TextColumn:
        if column not in self.columns:
            raise DataError(
                f"{self.path}: {key}: column '{column}' not found; columns: "
                f"{', '.join(self.columns)}"
            )
        return self.columns[column]

    def numeric(self, column: str, key: str, allow_missing: bool = False) -> np.ndarray:
        """The column as floats; empty or NaN cells refused unless ``allow_missing`` (then NaN)."""
        values = self.require(column, key)
        fast = values.floats()
        if fast is not None and np.isfinite(fast).all():
            return fast
        out = np.empty(len(values), dtype=np.float64)
        for row, text in enumerate(values):
            try:
                out[row] = float(text) if text.strip() else math.nan
            except ValueError:
                raise DataError(
                    f"{self.path}: column '{column}', row {self.line(row)}: {text!r} is not a "
                    f"number"
                ) from None
            if math.isinf(out[row]) or (math.isnan(out[row]) and not allow_missing):
                raise DataError(
                    f"{self.path}: column '{column}', row {self.line(row)}: missing or "
                    f"non-finite value ({text!r}); fix the file or set data.fill: ffill or "
                    f"interpolate"
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
    """Read a CSV with a header row; refuse empty, ragged or non-text files, and any path that
    is not a regular file within the size limit (data/source_file.py)."""
    check_data_file(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header, columns, shifts = _read_columns(csv.reader(_text_lines(handle, path)), path)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text CSV file") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from None
    if not len(columns[0]):
        raise DataError(f"{path}: the file has a header but no rows")
    return Table(path=path, columns=dict(zip(header, columns, strict=True)), shifts=shifts)


def _text_lines(handle: Iterator[str], path: Path) -> Iterator[str]:
    """The file's lines; a NUL byte (never in a text CSV; Python's csv would keep it) stops
    the read as binary data."""
    for number, line in enumerate(handle, start=1):
        if "\x00" in line:
            raise DataError(f"{path}: line {number} holds binary data (NUL bytes); a data file "
                            f"must be a text CSV")
        yield line


class _CsvReader(Protocol):
    """What ``csv.reader`` returns: rows, and the count of file lines read so far."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


def _read_columns(reader: _CsvReader, path: Path
                  ) -> tuple[list[str], list[TextColumn], tuple[tuple[int, int], ...]]:
    """The header, one packed column per name (read ``_CHUNK_ROWS`` rows at a time) and the
    line shifts of ``Table``: every number in a message is the line the user's editor shows."""
    header = next((r for r in reader if any(cell.strip() for cell in r)), None)
    if header is None:
        raise DataError(f"{path}: the file is empty")
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header repeats a column name: {', '.join(header)}")
    chunks: list[list[np.ndarray]] = [[] for _ in header]
    pending: list[list[bytes]] = [[] for _ in header]
    shifts: list[tuple[int, int]] = []
    rows, ended = 0, reader.line_num  # the header's last line
    for row in reader:
        first, ended = ended + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if first - (rows + 2) != (shifts[-1][1] if shifts else 0):
            shifts.append((rows, first - (rows + 2)))
        if len(row) != len(header):
            raise DataError(
                f"{path}: row {first} has {len(row)} fields, the header has {len(header)}")
        for cells, text in zip(pending, row, strict=True):
            cells.append(text.encode())
        rows += 1
        if len(pending[0]) >= _CHUNK_ROWS:
            _flush(pending, chunks)
    _flush(pending, chunks)
    return header, [TextColumn(np.concatenate(c) if c else _packed([])) for c in chunks], \
        tuple(shifts)


def _flush(pending: list[list[bytes]], chunks: list[list[np.ndarray]]) -> None:
    for cells, done in zip(pending, chunks, strict=True):
        if cells:
            done.append(_packed(cells))
            cells.clear()


def read_table(path: Path) -> Table:
    """A CSV file, or a Parquet file (read with pandas and pyarrow, which MLflow brings)."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return read_csv(path)
    check_data_file(path)
    try:
        import pandas as pd
        import pyarrow.parquet as pq

        # The footer only, before any data is read: a few KiB of run-length encoded zeros can
        # hold millions of cells; at 8 bytes a cell (at least), that is the size to refuse.
        meta = pq.ParquetFile(path).metadata
        unpacked = meta.num_rows * meta.num_columns * 8
        frame = None if unpacked > max_data_bytes() else pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for one cause: unreadable file
        raise DataError(f"{path}: cannot read Parquet: {exc}") from None
    if frame is None:
        raise DataError(f"{path}: data.source: {meta.num_rows} rows x {meta.num_columns} columns "
                        f"unpack to at least {unpacked} bytes, more than the limit of "
                        f"{max_data_bytes()}; set {LIMIT_ENV} to raise it")
    columns = {str(c): TextColumn.of([_cell(v) for v in frame[c].tolist()])
               for c in frame.columns}
    if not columns or not frame.shape[0]:
        raise DataError(f"{path}: the file has no rows")
    return Table(path=path, columns=columns)


def read_text_table(source: str, base_dir: Path) -> tuple[Path, Table]:
    """The table a text input reads (``data.text``: classify, regress or a tagger), with its
    path; a built-in or generated source is refused, since texts come from a file."""
    if ":" in source.split("/")[0] and not Path(source).exists():
        raise DataError(f"data.source: a text input reads a CSV or Parquet table (got "
                        f"{source})")
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    return path, read_table(path)


def _cell(value: object) -> str:
    """A Parquet value as the text a CSV would hold."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)
