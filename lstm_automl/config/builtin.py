"""Datasets that ship with lstm-sweep (``source: builtin:NAME``), read from ``datasets/``.

Each entry records the published holdout where the literature fixes one, so that results
compare with published numbers by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuiltinDataset:
    """One shipped series: its file, columns and default holdout."""

    file: str
    time_column: str
    target: str
    test: int | float
    season: int | None
    description: str
    label: str | None = None  # task detect: the column of 0/1 anomaly flags


DATASETS: dict[str, BuiltinDataset] = {
    "airline": BuiltinDataset(
        "airline.csv", "month", "passengers", 24, 12,
        "monthly airline passengers (thousands) 1949-1960; last 24 months held out as published",
    ),
    "sunspots": BuiltinDataset(
        "sunspots_monthly.csv", "month", "sunspots", 0.15, 132,
        "monthly mean sunspot numbers 1749-1983",
    ),
    "nile": BuiltinDataset(
        "nile.csv", "year", "volume", 0.15, None,
        "annual Nile flow at Aswan 1871-1970 (a tiny smoke-test series)",
    ),
    "anomalies": BuiltinDataset(
        "anomalies_hourly.csv", "hour", "value", 0.25, 24,
        "generated hourly series with a daily and weekly cycle and labelled anomalies (spikes, "
        "dips, level shifts, noise bursts, flat stretches) in every split (task detect)",
        label="anomaly",
    ),
}

@dataclass(frozen=True)
class BuiltinSequences:
    """A shipped sequence-classification set with its published train/test files."""

    train_file: str
    test_file: str
    layout: str  # wide: label,t0..tN; long: case_id,label,t,c0..cK
    label: str
    description: str
    case_column: str | None = None
    time_column: str | None = None


SEQUENCE_DATASETS: dict[str, BuiltinSequences] = {
    "ItalyPowerDemand": BuiltinSequences(
        "ItalyPowerDemand_TRAIN.csv", "ItalyPowerDemand_TEST.csv", "wide", "label",
        "UCR ItalyPowerDemand: 24-hour electricity demand curves, winter vs summer (67/1029)",
    ),
    "GunPoint": BuiltinSequences(
        "GunPoint_TRAIN.csv", "GunPoint_TEST.csv", "wide", "label",
        "UCR GunPoint: hand motion of length 150, gun draw vs point (50/150)",
    ),
    "JapaneseVowels": BuiltinSequences(
        "JapaneseVowels_TRAIN.csv", "JapaneseVowels_TEST.csv", "long", "label",
        "UEA JapaneseVowels: 12 LPC channels, 9 speakers, lengths 7-29 (270/370)",
        case_column="case_id", time_column="t",
    ),
}

BUILTIN_PREFIX = "builtin:"


def datasets_dir() -> Path:
    """The shipped ``datasets/`` folder (``LSTM_SWEEP_DATASETS`` overrides it)."""
    override = os.environ.get("LSTM_SWEEP_DATASETS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "datasets"


def builtin_name(source: str) -> str | None:
    """``airline`` for ``builtin:airline``; None for a file path."""
    return source[len(BUILTIN_PREFIX):] if source.startswith(BUILTIN_PREFIX) else None
