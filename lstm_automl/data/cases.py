"""Read whole sequences ("cases") with their label or target from the supported sources.

Sources: shipped UCR/UEA sets (with their published train/test files), CSV or Parquet tables in
wide layout (one row per sequence) or long layout (one row per time step), ``.npz`` arrays, and
the synthetic long-lag benchmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lstm_automl.config.builtin import SEQUENCE_DATASETS, builtin_name, datasets_dir
from lstm_automl.config.names import did_you_mean
from lstm_automl.config.schema import (
    ClassifyDataConfig,
    FeatureChoice,
    LabelDataConfig,
    RegressDataConfig,
)
from lstm_automl.data.generators import GENERATORS, generate
from lstm_automl.data.source_file import LIMIT_ENV, check_data_file, max_data_bytes
from lstm_automl.data.table import Table, read_table
from lstm_automl.data.time_index import parse_times
from lstm_automl.errors import DataError

SequenceConfig = ClassifyDataConfig | RegressDataConfig


@dataclass
class CaseSet:
    """Sequences (each steps x channels) and their labels; ``test_*`` set when the source fixes a
    test split (published UCR files, ``x_test`` in an npz)."""

    source: str
    cases: list[np.ndarray]
    labels: np.ndarray
    channels: list[str]
    test_cases: list[np.ndarray] | None = None
    test_labels: np.ndarray | None = None
    case_column: str | None = None  # how raw input is laid out (for the served model)
    time_column: str | None = None
    label_name: str | None = None


def _label_key(config: SequenceConfig) -> str:
    if isinstance(config, ClassifyDataConfig):
        return config.label or "label"
    return config.target or "target"


def load_cases(config: SequenceConfig, base_dir: Path, seed: int) -> CaseSet:
    """Load the sequences a classification or regression sweep trains on, with only the
    channels ``data.features`` names (every channel without it)."""
    cases = _load(config, base_dir, seed)
    features = config.features
    if features is None or not isinstance(features, list) or features == cases.channels:
        return cases
    return select_channels(cases, features)


def select_channels(cases: CaseSet, features: list[str]) -> CaseSet:
    """The same cases with the named channels only, in the order named."""
    unknown = [f for f in features if f not in cases.channels]
    if unknown:
        raise DataError(f"{cases.source}: data.features: no channel named "
                        f"{', '.join(repr(u) for u in unknown)}; channels: "
                        f"{', '.join(cases.channels)}")
    columns = [cases.channels.index(f) for f in features]
    test = [c[:, columns] for c in cases.test_cases] if cases.test_cases is not None else None
    return replace(cases, cases=[c[:, columns] for c in cases.cases], channels=list(features),
                   test_cases=test)


def _load(config: SequenceConfig, base_dir: Path, seed: int) -> CaseSet:
    source = config.source
    if source.startswith("generate:"):
        return _generated(config, seed)
    name = builtin_name(source)
    if name is not None:
        return _builtin(config, name)
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    if path.suffix == ".npz":
        return _npz(path)
    table = read_table(path)
    layout = config.layout or ("long" if config.case_column else "wide")
    key = _label_key(config)
    cases, labels, channels = (_long(table, config, key) if layout == "long"
                               else _wide(table, key))
    long = layout == "long"
    return CaseSet(str(path), cases, labels, channels,
                   case_column=(config.case_column or "case_id") if long else None,
                   time_column=config.time_column if long else None, label_name=key)


def _generated(config: SequenceConfig, seed: int) -> CaseSet:
    kind = config.source.split(":", 1)[1]
    if kind not in GENERATORS:
        raise DataError(f"data.source: unknown generator '{kind}'; available: "
                        f"{', '.join('generate:' + k for k in GENERATORS)}")
    generator = GENERATORS[kind]
    if generator.task != config.task:
        raise DataError(f"data.source: generate:{kind} is a {generator.task} task; set "
                        f"data.task: {generator.task}")
    x, y, source = generate(kind, config.generate, seed)
    return CaseSet(source, list(x), y, generator.channels)


def _builtin(config: SequenceConfig, name: str) -> CaseSet:
    spec = next((s for key, s in SEQUENCE_DATASETS.items() if key.lower() == name.lower()), None)
    if spec is None:
        hint = did_you_mean(name, SEQUENCE_DATASETS, "builtin:") or ";"
        raise DataError(f"data.source: unknown builtin dataset for task {config.task} '{name}'"
                        f"{hint} available: "
                        f"{', '.join('builtin:' + n for n in SEQUENCE_DATASETS)}")
    folder = datasets_dir()
    parts = []
    for file in (spec.train_file, spec.test_file):
        table = read_table(folder / file)
        if spec.layout == "long":
            long_config = config.model_copy(update={
                "case_column": spec.case_column, "time_column": spec.time_column})
            parts.append(_long(table, long_config, spec.label))
        else:
            parts.append(_wide(table, spec.label))
    (cases, labels, channels), (test_cases, test_labels, _) = parts
    return CaseSet(f"builtin:{name}", cases, labels, channels, test_cases, test_labels,
                   case_column=spec.case_column, time_column=spec.time_column,
                   label_name=spec.label)


def _npz(path: Path) -> CaseSet:
    check_data_file(path)
    try:
        arrays = np.load(path, allow_pickle=False)
        check_unpacked_sizes(path, arrays)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: cannot read .npz arrays: {exc}") from None
    for key in ("x", "y"):
        if key not in arrays:
            raise DataError(f"{path}: array '{key}' missing; an .npz source needs x (samples x "
                            f"time x features) and y; found: {', '.join(arrays.files)}")
    x, y = _checked_arrays(path, arrays["x"], arrays["y"], "x", "y")
    test = None
    if "x_test" in arrays and "y_test" in arrays:
        test = _checked_arrays(path, arrays["x_test"], arrays["y_test"], "x_test", "y_test")
    channels = [f"c{i}" for i in range(x.shape[2])]
    return CaseSet(str(path), list(x), y, channels,
                   list(test[0]) if test else None, test[1] if test else None)


def check_unpacked_sizes(path: Path, arrays: Any) -> None:
    """A compressed .npz can unpack to far more than its size on disk (a few KiB of zeros to
    gigabytes): each array's header says its shape, read before the array is."""
    limit = max_data_bytes()
    for name in arrays.files:
        with arrays.zip.open(f"{name}.npy") as member:
            version = np.lib.format.read_magic(member)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(member)
        size = math.prod(shape) * dtype.itemsize
        if size > limit:
            raise DataError(f"{path}: data.source: array '{name}' unpacks to {size} bytes, "
                            f"more than the limit of {limit}; set {LIMIT_ENV} to raise it")


def _checked_arrays(path: Path, x: np.ndarray, y: np.ndarray, xn: str,
                    yn: str) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise DataError(f"{path}: '{xn}' must have shape samples x time x features, got {x.shape}")
    if len(y) != len(x):
        raise DataError(f"{path}: '{xn}' has {len(x)} samples but '{yn}' has {len(y)}")
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise DataError(f"{path}: '{xn}' must be finite numbers (no NaN)")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return x.astype(np.float64), y


def _wide(table: Table, key: str) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """One row per sequence: the label/target column and one column per step."""
    labels = np.array(table.require(key, "data.label / data.target"))
    steps = [c for c in table.columns if c != key]
    if not steps:
        raise DataError(f"{table.path}: no step columns besides '{key}'")
    cases = []
    for row in range(table.n_rows):
        values = []
        for column in steps:
            text = table.columns[column][row].strip()
            if not text or text.lower() == "nan":
                values.append(math.nan)
                continue
            try:
                values.append(float(text))
            except ValueError:
                raise DataError(f"{table.path}: column '{column}', row {table.line(row)}: "
                                f"{text!r} is not a number") from None
        series = np.array(values)
        length = len(series)
        while length and math.isnan(series[length - 1]):
            length -= 1  # UCR files end shorter sequences with empty cells
        if length == 0 or np.isnan(series[:length]).any():
            raise DataError(f"{table.path}: row {table.line(row)} has missing values inside the "
                            f"sequence; only trailing cells may be empty")
        cases.append(series[:length, None])
    return cases, labels, ["value"]


def _long(table: Table, config: SequenceConfig,
          key: str) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """One row per time step: case id, optional time, label/target, channel columns."""
    long = read_long(table, config, key, "data.label / data.target")
    labels_text = long.labels
    cases, labels = [], []
    for case, ordered in long.rows.items():
        case_labels = {labels_text[r] for r in ordered}
        if len(case_labels) != 1:
            raise DataError(f"{table.path}: case '{case}' has more than one {key}: "
                            f"{', '.join(sorted(case_labels))}")
        cases.append(long.values[ordered])
        labels.append(labels_text[ordered[0]])
    return cases, np.array(labels), long.channels


@dataclass
class LongTable:
    """A long table (one row per step) grouped into cases: each case's rows in time order."""

    case_column: str
    channels: list[str]
    values: np.ndarray  # rows x channels, in the table's row order
    labels: list[str]  # the label/target column's text, in the table's row order
    rows: dict[str, list[int]]  # case id -> its rows, ordered by time


def read_long(table: Table, config: SequenceConfig | LabelDataConfig, key: str,
              key_names: str) -> LongTable:
    """Group a long table by ``data.case_column`` and order each case by ``data.time_column``
    (refusing a repeated time within a case); the channels are ``data.features`` or every
    column but the case, time and ``key`` (label/target) columns. Shared by the whole-sequence
    and per-step tasks, which read long tables the same way."""
    case_column = config.case_column or "case_id"
    case_ids = table.require(case_column, "data.case_column")
    labels = table.require(key, key_names)
    reserved = {case_column, key, config.time_column}
    features = config.features
    assert not isinstance(features, FeatureChoice), "searched: use config.variant()"
    channels = list(features or [c for c in table.columns if c not in reserved])
    values = np.column_stack([table.numeric(c, "data.features") for c in channels])
    times = (parse_times(table.require(config.time_column, "data.time_column"),
                         where=str(table.path), column=config.time_column, line=table.line)
             if config.time_column else np.arange(table.n_rows, dtype=float))
    groups: dict[str, list[int]] = {}
    for row, case in enumerate(case_ids):
        groups.setdefault(case, []).append(row)
    rows = {}
    for case, members in groups.items():
        ordered = sorted(members, key=lambda r: times[r])
        _once_per_case(ordered, times, table, config.time_column, case)
        rows[case] = ordered
    return LongTable(case_column, channels, values, list(labels), rows)


def _once_per_case(ordered: list[int], times: np.ndarray, table: Table, column: str | None,
                   case: str) -> None:
    """A sequence's steps each have their own time: a repeated one is a copy or a typo."""
    if column is None:
        return
    for first, second in zip(ordered, ordered[1:], strict=False):  # each step and the next
        if times[first] == times[second]:
            text = table.columns[column][first]
            earlier, later = table.line(min(first, second)), table.line(max(first, second))
            raise DataError(f"{table.path}: column '{column}', rows {earlier} and {later}: case "
                            f"'{case}' repeats the time {text}; every step of a case needs its "
                            f"own time")
