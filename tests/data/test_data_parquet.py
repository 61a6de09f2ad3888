"""Parquet input: the same data as CSV gives the same windows, and bad Parquet fails clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_automl.config.builtin import datasets_dir
from lstm_automl.config.schema import ClassifyDataConfig, ForecastDataConfig
from lstm_automl.data import prepare_forecast, prepare_sequences
from lstm_automl.errors import DataError


def _forecast(source: str, **extra: object) -> ForecastDataConfig:
    return ForecastDataConfig.model_validate(
        {"source": source, "target": "passengers", "time_column": "month", "lookback": 12,
         "split": {"validation": 24, "test": 24}, "scaling": "standard", **extra})


def test_parquet_with_datetime_column_matches_the_csv(tmp_path: Path) -> None:
    frame = pd.read_csv(datasets_dir() / "airline.csv")
    shuffled = frame.sample(frac=1.0, random_state=0)  # the time column must restore the order
    shuffled.to_csv(tmp_path / "airline.csv", index=False)
    typed = shuffled.assign(month=pd.to_datetime(shuffled["month"]),
                            passengers=shuffled["passengers"].astype("int64"))
    typed.to_parquet(tmp_path / "airline.parquet", index=False)

    from_csv = prepare_forecast(_forecast("airline.csv"), tmp_path)
    from_parquet = prepare_forecast(_forecast("airline.parquet"), tmp_path)
    for split in ("train", "validation", "test"):
        np.testing.assert_allclose(from_parquet.splits[split].x, from_csv.splits[split].x)
        np.testing.assert_allclose(from_parquet.splits[split].y, from_csv.splits[split].y)


def test_parquet_wide_table_for_classification(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20, 6)), columns=[f"t{i}" for i in range(6)])
    frame.insert(0, "label", ["up" if i % 2 else "down" for i in range(20)])
    frame.to_parquet(tmp_path / "wide.pq", index=False)
    frame.to_csv(tmp_path / "wide.csv", index=False)
    split = {"validation": 0.25, "test": 0.25}
    from_parquet = prepare_sequences(
        ClassifyDataConfig(source="wide.pq", task="classify", split=split), tmp_path, seed=2)
    from_csv = prepare_sequences(
        ClassifyDataConfig(source="wide.csv", task="classify", split=split), tmp_path, seed=2)
    assert from_parquet.classes == from_csv.classes == ["down", "up"]
    np.testing.assert_allclose(from_parquet.splits["train"].x, from_csv.splits["train"].x)


def test_parquet_with_missing_values_names_the_column(tmp_path: Path) -> None:
    frame = pd.read_csv(datasets_dir() / "airline.csv")
    frame.loc[30, "passengers"] = np.nan
    frame.to_parquet(tmp_path / "gaps.parquet", index=False)
    with pytest.raises(DataError, match="passengers"):
        prepare_forecast(_forecast("gaps.parquet"), tmp_path)
    filled = prepare_forecast(_forecast("gaps.parquet", fill="interpolate"), tmp_path)
    assert np.isfinite(filled.splits["train"].x).all()


def test_unreadable_parquet_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DataError, match=r"broken\.parquet: cannot read Parquet"):
        prepare_forecast(_forecast("broken.parquet"), tmp_path)
