"""The files of ``lstm-sweep predict``: a bounded read of the input table, a safe output.

The input may be compressed (gzip, bz2, xz, zip, zstd; recognised by content, not by name) and
is read through a cap on its decompressed size, so a small file that unpacks to gigabytes (a
"gzip bomb") is refused before it is held in memory. The output never replaces the input, nor a
file that exists unless ``--overwrite`` says so, and is written whole or not at all.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from lstm_automl.errors import DataError
from lstm_automl.serving.request_checks import MAX_ROWS

MAX_INPUT_BYTES = 64 * 2**20  # of the input table once decompressed
MAX_COLUMNS = 10_000
PARQUET_SUFFIXES = (".parquet", ".pq")
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, zipfile.BadZipFile)


def _too_big(path: Path, what: str) -> DataError:
    return DataError(f"{path}: {what}; predict reads at most {MAX_INPUT_BYTES // 2**20} MiB "
                     f"and {MAX_ROWS} rows per input file: split it")


def _zip_member(path: Path) -> IO[bytes]:
    archive = zipfile.ZipFile(path)
    names = [info for info in archive.infolist() if not info.is_dir()]
    if len(names) != 1:
        raise DataError(f"{path}: a zip file with {len(names)} files; give one table")
    return archive.open(names[0])


def _open(path: Path) -> IO[bytes]:
    """``path`` opened for reading, decompressing by its first bytes."""
    with path.open("rb") as raw:
        head = raw.read(6)
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if head.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")
    if head.startswith(b"PK\x03\x04"):
        return _zip_member(path)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise DataError(f"{path}: zstd-compressed; decompress it first (or install "
                            f"zstandard)") from None
        return zstandard.open(path, "rb")
    return path.open("rb")


def _bounded_bytes(path: Path) -> bytes:
    try:
        with _open(path) as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    except _READ_ERRORS as exc:
        raise DataError(f"{path}: cannot read the input file: {exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(path, f"more than {MAX_INPUT_BYTES} bytes (decompressed)")
    header = data.split(b"\n", 1)[0]
    if header.count(b",") >= MAX_COLUMNS:
        raise DataError(f"{path}: more than {MAX_COLUMNS} columns; predict reads at most "
                        f"{MAX_COLUMNS}")
    return data


def _read_parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    if path.stat().st_size > MAX_INPUT_BYTES:
        raise _too_big(path, f"more than {MAX_INPUT_BYTES} bytes")
    table = pq.ParquetFile(path)
    meta = table.metadata
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if meta.num_rows > MAX_ROWS:
        raise _too_big(path, f"{meta.num_rows} rows")
    if unpacked > MAX_INPUT_BYTES:
        raise _too_big(path, f"{unpacked} bytes once decompressed")
    if meta.num_columns > MAX_COLUMNS:
        raise DataError(f"{path}: {meta.num_columns} columns; predict reads at most "
                        f"{MAX_COLUMNS}")
    return table.read().to_pandas()


def read_table(path: Path, strings: tuple[str, ...] = ()) -> Any:
    """The input table (a DataFrame), or a ``DataError`` naming the file and what is wrong.

    ``strings``: CSV columns kept as written (a text model's ``42`` is a text, not a number)."""
    import pandas as pd

    if not path.exists():
        raise DataError(f"{path}: input file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the input table's file")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            frame = _read_parquet(path)
        else:
            frame = pd.read_csv(io.BytesIO(_bounded_bytes(path)), nrows=MAX_ROWS + 1,
                                dtype=dict.fromkeys(strings, str) or None)
    except DataError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many types for one cause
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read the input table: {first}") from None
    if len(frame) > MAX_ROWS:
        raise _too_big(path, f"more than {MAX_ROWS} rows")
    return frame


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def check_output(output: Path, source: Path, overwrite: bool) -> None:
    """Refuse, before any work, an output that would land nowhere or replace what it must not."""
    folder = output.parent
    if not folder.is_dir():
        raise DataError(f"--output {output}: folder {folder} does not exist; create it first")
    if output.is_dir():
        raise DataError(f"--output {output}: is a folder; name a file")
    if _same_file(output, source):
        raise DataError(f"--output {output}: is the input file; write the predictions to "
                        f"another file")
    if (output.exists() or output.is_symlink()) and not overwrite:
        raise DataError(f"--output {output}: exists; pass --overwrite to replace it")


def write_table(frame: Any, output: Path) -> None:
    """``frame`` as CSV at ``output``, through a temporary file beside it: a failed write
    leaves any earlier file as it was."""
    temporary = output.parent / f".{output.name}.{os.getpid()}.partial"
    created = False
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        created = True
        with os.fdopen(handle, "w", newline="") as stream:
            frame.to_csv(stream, index=False)
        os.replace(temporary, output)
    except OSError as exc:
        if created:  # only the file made here; never one that was there before
            temporary.unlink(missing_ok=True)
        raise DataError(f"--output {output}: cannot write: {exc.strerror or exc}") from None
