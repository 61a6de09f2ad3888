"""What a file the sweep reads must be before it is opened: a regular file of a bounded size.

A device (``/dev/zero``), a FIFO, a socket or a folder named as a source would otherwise be
read until memory runs out, or block forever; ``os.stat`` answers without opening it. The size
limit keeps a mistyped path to a huge file from swapping the machine: 2 GiB by default, raised
(or lowered) with ``LSTM_SWEEP_MAX_DATA_BYTES`` (bytes, or a number with K, M, G or T).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from lstm_automl.errors import DataError

__all__ = ["DEFAULT_MAX_DATA_BYTES", "LIMIT_ENV", "check_data_file", "max_data_bytes",
           "not_regular"]

DEFAULT_MAX_DATA_BYTES = 2 << 30
LIMIT_ENV = "LSTM_SWEEP_MAX_DATA_BYTES"
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def not_regular(path: Path) -> tuple[str | None, int]:
    """Why ``path`` cannot be read as a file (None when it can), and its size in bytes."""
    try:
        info = os.stat(path)  # follows symlinks: the file they lead to is what gets read
    except FileNotFoundError:
        return "file not found", 0
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop", 0
        return f"cannot be read ({exc.strerror or exc})", 0
    for test, kind in _KINDS:
        if test(info.st_mode):
            return f"is {kind}, not a regular file", 0
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file", 0
    return None, info.st_size


def max_data_bytes() -> int:
    """The size limit of a data file: $LSTM_SWEEP_MAX_DATA_BYTES, else 2 GiB."""
    text = os.environ.get(LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_DATA_BYTES
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?", text, flags=re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise DataError(f"${LIMIT_ENV}: expected a size such as 4G or 500M or a byte count, "
                        f"got {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def check_data_file(path: Path, key: str = "data.source") -> int:
    """Refuse anything but a regular file within the size limit (DataError, exit 2), before
    anything opens it; the file's size in bytes."""
    problem, size = not_regular(path)
    if problem == "file not found":
        raise DataError(f"{path}: data file not found")
    if problem is not None:
        raise DataError(f"{path}: {key}: {problem}; it must name a data file")
    limit = max_data_bytes()
    if size > limit:
        raise DataError(f"{path}: {key}: the file has {_size(size)}, more than the limit of "
                        f"{_size(limit)}; set {LIMIT_ENV} (e.g. {LIMIT_ENV}=8G) to raise it")
    return size


def _size(count: int) -> str:
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = _UNITS[unit[0]]
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
