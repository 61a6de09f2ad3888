"""Data files are regular files within a size limit, and a CSV is read compactly (issue 20,
item 6): what a file is gets decided by ``os.stat``, before anything opens it."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lstm_automl.data.source_file import (
    DEFAULT_MAX_DATA_BYTES,
    LIMIT_ENV,
    check_data_file,
    max_data_bytes,
)
from lstm_automl.data.table import read_csv
from lstm_automl.errors import DataError


@pytest.mark.parametrize(("text", "limit"), [
    ("", DEFAULT_MAX_DATA_BYTES), ("1000", 1000), ("4G", 4 << 30), ("500M", 500 << 20),
    ("1.5GiB", int(1.5 * (1 << 30))), ("64k", 64 << 10),
])
def test_the_limit_is_2_gib_unless_the_environment_says(text: str, limit: int,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(LIMIT_ENV, text)
    assert max_data_bytes() == limit


@pytest.mark.parametrize("text", ["lots", "-5", "0", "4X"])
def test_an_unreadable_limit_is_refused(text: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(LIMIT_ENV, text)
    with pytest.raises(DataError, match=LIMIT_ENV):
        max_data_bytes()


def test_only_a_regular_file_within_the_limit_passes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    good = tmp_path / "a.csv"
    good.write_text("x\n1\n")
    assert check_data_file(good) == 4
    link = tmp_path / "link.csv"
    link.symlink_to(good)  # a link to a regular file is that file
    assert check_data_file(link) == 4
    os.mkfifo(tmp_path / "pipe.csv")
    for path, words in ((Path("/dev/zero"), "character device"),
                        (tmp_path / "pipe.csv", "FIFO"), (tmp_path, "folder"),
                        (tmp_path / "none.csv", "not found")):
        with pytest.raises(DataError, match=words):
            check_data_file(path)
    monkeypatch.setenv(LIMIT_ENV, "3")
    with pytest.raises(DataError, match=f"more than the limit of 3 bytes; set {LIMIT_ENV}"):
        check_data_file(good)


def test_a_csv_is_held_in_about_its_own_size(tmp_path: Path):
    """Lists of Python strings took 15x the file; packed byte columns take ~2x at the peak."""
    rng = np.random.default_rng(0)
    path = tmp_path / "big.csv"
    rows = rng.uniform(0, 1000, size=(100_000, 3))
    with path.open("w") as handle:
        handle.write("t,a,b,c\n")
        handle.writelines(f"{i},{a:.3f},{b:.2f},{c:.2f}\n" for i, (a, b, c) in enumerate(rows))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        table = read_csv(path)
        values = table.numeric("a", "data.target")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * size, f"peak {peak / size:.1f}x the file"
    np.testing.assert_allclose(values, np.round(rows[:, 0], 3))
    assert table.require("t", "data.time_column")[41] == "41"
    assert list(table.columns) == ["t", "a", "b", "c"] and table.n_rows == 100_000
