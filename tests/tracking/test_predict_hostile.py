"""Hostile inputs to ``lstm-sweep predict``: each is refused with exit 2 and one line on stderr
that names the file (or option) and what is allowed; no traceback, and nothing is written or
changed on disk. The same shape as tests/test_hostile_inputs.py, for the predict table."""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from saved_models import airline_forecast, history

from lstm_automl.cli import main
from lstm_automl.commands.predict_files import MAX_COLUMNS, MAX_INPUT_BYTES
from lstm_automl.serving.request_checks import MAX_ROWS

ROW = b"1958-01,340\n"


@pytest.fixture(scope="module")
def model_and_history(tmp_path_factory):
    """(the model folder, 20 good history rows as CSV text)."""
    data, _, path = airline_forecast(tmp_path_factory.mktemp("hostile"))
    return path, history(data, 20).to_csv(index=False)


def _bomb(folder: Path) -> list[str]:
    """About 80 KB of gzip that unpacks past the cap (the issue's was 40 KB -> 740 MB)."""
    path = folder / "history.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(b"month,passengers\n")
        for _ in range(MAX_INPUT_BYTES // (len(ROW) * 4096) + 1):
            stream.write(ROW * 4096)
    return ["--input", str(path)]


def _zip_bomb(folder: Path) -> list[str]:
    path = folder / "history.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("history.csv", "w", force_zip64=True) as stream:
        stream.write(b"month,passengers\n")
        for _ in range(MAX_INPUT_BYTES // (len(ROW) * 4096) + 1):
            stream.write(ROW * 4096)
    return ["--input", str(path)]


def _file(name: str, content: bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        (folder / name).write_bytes(content)
        return ["--input", str(folder / name)]
    return make


def _edited(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path, str], list[str]]:
    """The good history with ``change`` applied, as a CSV."""
    def make(folder: Path, good: str) -> list[str]:
        frame = change(pd.read_csv(pd.io.common.StringIO(good)))
        frame.to_csv(folder / "history.csv", index=False)
        return ["--input", str(folder / "history.csv")]
    return make


def _text_at_row_19(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"passengers": object})
    frame.loc[18, "passengers"] = "n/a"
    return frame


def _two_files_zipped(folder: Path) -> list[str]:
    with zipfile.ZipFile(folder / "history.zip", "w") as archive:
        archive.writestr("a.csv", "month,passengers\n")
        archive.writestr("b.csv", "month,passengers\n")
    return ["--input", str(folder / "history.zip")]


def _parquet_rows(folder: Path) -> list[str]:
    pd.DataFrame({"month": range(MAX_ROWS + 1), "passengers": 1.0}).to_parquet(
        folder / "history.parquet")
    return ["--input", str(folder / "history.parquet")]


# input builders: folder -> arguments (the output is always --output out.csv: never written)
INPUTS: dict[str, tuple[Callable[..., list[str]], str]] = {
    "gzip bomb": (_bomb, f"more than {MAX_INPUT_BYTES} bytes (decompressed)"),
    "zip bomb": (_zip_bomb, f"more than {MAX_INPUT_BYTES} bytes (decompressed)"),
    "endless input": (lambda folder: ["--input", "/dev/zero"], "more than"),
    "too many rows": (_file("history.csv", b"month,passengers\n" + ROW * (MAX_ROWS + 1)),
                      f"more than {MAX_ROWS} rows"),
    "too many rows, parquet": (_parquet_rows, f"{MAX_ROWS + 1} rows"),
    "too many columns": (_file("history.csv", b",".join([b"c"] * (MAX_COLUMNS + 1)) + b"\n"),
                         f"more than {MAX_COLUMNS} columns"),
    "missing file": (lambda folder: ["--input", str(folder / "nothing.csv")], "not found"),
    "a folder": (lambda folder: ["--input", str(folder)], "is a folder"),
    "empty file": (_file("history.csv", b""), "cannot read the input table"),
    "header only": (_file("history.csv", b"month,passengers\n"), "has no rows"),
    "not text": (_file("history.csv", bytes(range(256)) * 4), "cannot read the input table"),
    "broken gzip": (_file("history.csv.gz", b"\x1f\x8b\x08\x00garbage" * 10), "cannot read"),
    "two tables zipped": (_two_files_zipped, "a zip file with 2 files"),
}
# edits of the good history: (change, what the message says)
TABLES: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "text in a row": (_text_at_row_19, "column 'passengers', data row 19 (the first row after"),
    "missing column": (lambda f: f.rename(columns={"passengers": "pax"}),
                       "column 'passengers' is missing"),
    "too short": (lambda f: f.tail(5), "5 rows of history are too few"),
    "not positive for logs": (lambda f: f.assign(passengers=f["passengers"].where(
        f.index != 14, -1.0)), "column 'passengers', data row 15 (the first row after"),
    "infinite": (lambda f: f.assign(passengers=float("inf")), "not a finite number"),
}


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def _refused(args: list[str], message: str, folder: Path, capsys) -> None:
    before = _files(folder)
    code = main(["predict", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert message in err, err
    assert _files(folder) == before  # nothing written, nothing changed


@pytest.mark.parametrize("case", INPUTS)
def test_hostile_input_file(case, model_and_history, tmp_path, capsys):
    make, message = INPUTS[case]
    args = make(tmp_path)
    model, _ = model_and_history
    _refused(["--model", str(model), *args, "--output", str(tmp_path / "out.csv")], message,
             tmp_path, capsys)


@pytest.mark.parametrize("case", TABLES)
def test_hostile_table(case, model_and_history, tmp_path, capsys):
    change, message = TABLES[case]
    model, good = model_and_history
    args = _edited(change)(tmp_path, good)
    _refused(["--model", str(model), *args, "--output", str(tmp_path / "out.csv")], message,
             tmp_path, capsys)


def _output_cases(folder: Path) -> dict[str, tuple[str, str]]:
    """name -> (the --output to give, what the message says); the input is history.csv."""
    inp = folder / "history.csv"
    os.link(inp, folder / "hardlink.csv")
    (folder / "symlink.csv").symlink_to(inp)
    (folder / "earlier.csv").write_text("someone's file\n")
    (folder / "a folder").mkdir()
    return {
        "missing folder": (str(folder / "nowhere" / "out.csv"), "nowhere does not exist"),
        "the input itself": (str(inp), "is the input file"),
        "the input by another path": (str(folder / "." / "history.csv"), "is the input file"),
        "a hard link to the input": (str(folder / "hardlink.csv"), "is the input file"),
        "a symlink to the input": (str(folder / "symlink.csv"), "is the input file"),
        "an existing file": (str(folder / "earlier.csv"), "exists; pass --overwrite"),
        "a folder": (str(folder / "a folder"), "is a folder"),
    }


OUTPUTS = ["missing folder", "the input itself", "the input by another path",
           "a hard link to the input", "a symlink to the input", "an existing file", "a folder"]


@pytest.mark.parametrize("case", OUTPUTS)
def test_hostile_output(case, model_and_history, tmp_path, capsys):
    model, good = model_and_history
    (tmp_path / "history.csv").write_text(good)
    output, message = _output_cases(tmp_path)[case]
    _refused(["--model", str(model), "--input", str(tmp_path / "history.csv"), "--output",
              output], message, tmp_path, capsys)


def test_overwrite_replaces_an_existing_output_but_never_the_input(model_and_history, tmp_path,
                                                                   capsys):
    model, good = model_and_history
    (tmp_path / "history.csv").write_text(good)
    out = tmp_path / "out.csv"
    out.write_text("an earlier answer\n")
    args = ["predict", "--model", str(model), "--input", str(tmp_path / "history.csv")]
    assert main([*args, "--output", str(out), "--overwrite"]) == 0
    assert list(pd.read_csv(out).columns) == ["passengers_h1", "passengers_h2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "out.csv"]
    capsys.readouterr()
    _refused([*args[1:], "--output", str(tmp_path / "history.csv"), "--overwrite"],
             "is the input file", tmp_path, capsys)
