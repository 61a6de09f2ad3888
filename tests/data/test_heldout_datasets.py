"""The held-out series: each loads through `validate`, matches the length its README documents,
and nothing under sweeps/ or tests/ (but this file) reads them, so nothing is tuned on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_automl.cli import main

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "datasets" / "heldout"
BENCH = ROOT / "bench" / "heldout"
SWEEP_FILES = sorted(BENCH.glob("*.yaml"))


def documented_rows() -> dict[str, int]:
    """File name -> rows, from the forecasting table of datasets/heldout/README.md."""
    rows = {}
    for line in (HELDOUT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].startswith("`") and cells[3].isdigit():
            rows[cells[0].split("`")[1]] = int(cells[3])
    return rows


def sweep_data(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["data"]


def test_every_series_is_documented_and_has_a_sweep_file() -> None:
    forecast = {Path(sweep_data(p)["source"]).name for p in SWEEP_FILES
                if sweep_data(p)["task"] == "forecast"}
    shipped = {p.name for p in HELDOUT.glob("*.csv") if not p.name.startswith("ArrowHead")}
    assert len(shipped) >= 6
    assert forecast == shipped == set(documented_rows())


@pytest.mark.parametrize("sweep", SWEEP_FILES, ids=lambda p: p.stem)
def test_sweep_file_validates(sweep: Path) -> None:
    assert main(["validate", str(sweep)]) == 0


@pytest.mark.parametrize("name", sorted(documented_rows()))
def test_series_has_documented_length_and_ordered_times(name: str) -> None:
    frame = pd.read_csv(HELDOUT / name)
    assert len(frame.columns) == 2 and not frame.isna().any().any()
    assert len(frame) == documented_rows()[name]
    times = frame.iloc[:, 0].astype(str)
    assert times.is_unique and times.is_monotonic_increasing  # ISO strings sort as times


def test_arrowhead_keeps_the_published_split_and_reference() -> None:
    """The .npz the sweep reads holds exactly the two CSVs, and 1-NN Euclidean on them gives the
    UCR archive's published accuracy (0.800)."""
    from lstm_automl.data.metrics import nearest_neighbour

    train = pd.read_csv(HELDOUT / "ArrowHead_TRAIN.csv")
    test = pd.read_csv(HELDOUT / "ArrowHead_TEST.csv")
    assert train.shape == (36, 252) and test.shape == (175, 252)
    arrays = np.load(HELDOUT / "ArrowHead.npz")
    for frame, x, y in ((train, "x", "y"), (test, "x_test", "y_test")):
        np.testing.assert_array_equal(arrays[x], frame.drop(columns="label").to_numpy())
        np.testing.assert_array_equal(arrays[y], frame["label"].to_numpy())
    predicted = nearest_neighbour(arrays["x"], arrays["y"], arrays["x_test"])
    assert round(float(np.mean(predicted == arrays["y_test"])), 4) == 0.8


def test_no_sweep_or_test_reads_the_heldout_data() -> None:
    names = ["datasets/heldout", *(p.name for p in HELDOUT.iterdir() if p.suffix != ".md")]
    offenders = []
    for folder in (ROOT / "sweeps", ROOT / "tests"):
        for path in folder.rglob("*"):
            if (not path.is_file() or "__pycache__" in path.parts
                    or path.resolve() == Path(__file__).resolve()):
                continue
            text = path.read_bytes().decode("utf-8", errors="ignore")
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n in text]
    assert offenders == []
