"""Read sequences with one label per step (``task: label``) from the supported sources.

Sources: a long CSV or Parquet table (one row per step: ``case_column``, optional
``time_column``, feature columns and a label column whose value may change from step to step),
an ``.npz`` whose ``y`` has a label per step (samples x steps, optionally ``x_test``/``y_test``),
and the ``generate:regimes`` benchmark. Labels are kept as text here and encoded later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_automl.config.builtin import builtin_name
from lstm_automl.config.schema import FeatureChoice, LabelDataConfig
from lstm_automl.data.cases import check_unpacked_sizes, read_long
from lstm_automl.data.generators import GENERATORS, generate
from lstm_automl.data.source_file import check_data_file
from lstm_automl.data.table import Table, read_table
from lstm_automl.errors import DataError


@dataclass
class StepCases:
    """Sequences (each steps x channels) with a label per step; ``test_*`` where the source
    fixes the test split."""

    source: str
    cases: list[np.ndarray]
    labels: list[np.ndarray]  # one text label per step of each case
    channels: list[str]
    test_cases: list[np.ndarray] | None = None
    test_labels: list[np.ndarray] | None = None
    case_column: str | None = None  # how raw input is laid out (for the served model)
    time_column: str | None = None
    label_name: str = "label"


def load_step_cases(config: LabelDataConfig, base_dir: Path, seed: int) -> StepCases:
    """The sequences of a ``task: label`` sweep, with only the channels ``data.features``
    names."""
    source = config.source
    if source.startswith("generate:"):
        cases = _generated(config, seed)
    elif builtin_name(source) is not None:
        raise DataError(f"data.source: no shipped dataset has a label per step; task: label "
                        f"reads a long CSV/Parquet table, an .npz or generate:regimes (got "
                        f"{source})")
    else:
        path = Path(source) if Path(source).is_absolute() else base_dir / source
        cases = _npz(path) if path.suffix == ".npz" else _long(read_table(path), config)
    features = config.features
    assert not isinstance(features, FeatureChoice), "searched: use config.variant()"
    if features and list(features) != cases.channels:
        cases = _select(cases, list(features))
    return cases


def _select(cases: StepCases, features: list[str]) -> StepCases:
    unknown = [f for f in features if f not in cases.channels]
    if unknown:
        raise DataError(f"{cases.source}: data.features: no channel named "
                        f"{', '.join(map(repr, unknown))}; channels: {', '.join(cases.channels)}")
    columns = [cases.channels.index(f) for f in features]
    cases.cases = [c[:, columns] for c in cases.cases]
    if cases.test_cases is not None:
        cases.test_cases = [c[:, columns] for c in cases.test_cases]
    cases.channels = features
    return cases


def _generated(config: LabelDataConfig, seed: int) -> StepCases:
    kind = config.source.split(":", 1)[1]
    generator = GENERATORS.get(kind)
    if generator is None or generator.task != "label":
        labelled = [f"generate:{k}" for k, g in GENERATORS.items() if g.task == "label"]
        raise DataError(f"data.source: generate:{kind} has no label per step; for task: label "
                        f"use {', '.join(labelled)}")
    x, y, source = generate(kind, config.generate, seed)
    names = np.array(generator.classes) if generator.classes else None
    return StepCases(source, list(x.astype(np.float64)),
                     [names[row] if names is not None else row.astype(str) for row in y],
                     generator.channels)


def _npz(path: Path) -> StepCases:
    check_data_file(path)
    try:
        arrays = np.load(path, allow_pickle=False)
        check_unpacked_sizes(path, arrays)
        pairs = [(arrays["x"], arrays["y"])] if "x" in arrays and "y" in arrays else []
        if pairs and "x_test" in arrays and "y_test" in arrays:
            pairs.append((arrays["x_test"], arrays["y_test"]))
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: cannot read .npz arrays: {exc}") from None
    if not pairs:
        raise DataError(f"{path}: an .npz source for task: label needs x (samples x steps x "
                        f"features) and y (samples x steps)")
    parts = [_steps_arrays(path, x, y) for x, y in pairs]
    test = parts[1] if len(parts) > 1 else (None, None)
    channels = [f"c{i}" for i in range(parts[0][0][0].shape[1])]
    return StepCases(str(path), parts[0][0], parts[0][1], channels, test[0], test[1])


def _steps_arrays(path: Path, x: np.ndarray, y: np.ndarray,
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    x = x[:, :, None] if x.ndim == 2 else x
    if x.ndim != 3 or y.shape != x.shape[:2]:
        raise DataError(f"{path}: task: label needs x of samples x steps x features and y of "
                        f"samples x steps (got x {x.shape}, y {y.shape})")
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise DataError(f"{path}: 'x' must be finite numbers (no NaN)")
    return list(x.astype(np.float64)), [row.astype(str) for row in y]


def _long(table: Table, config: LabelDataConfig) -> StepCases:
    """One row per step: case id, optional time, features and the step's label."""
    key = config.label or "label"
    long = read_long(table, config, key, "data.label")
    labels = [text.strip() for text in long.labels]
    cases, steps = [], []
    for ordered in long.rows.values():
        empty = [r for r in ordered if not labels[r]]
        if empty:
            raise DataError(f"{table.path}: row {table.line(empty[0])}: empty {key}; every step "
                            f"needs its label")
        cases.append(long.values[ordered])
        steps.append(np.array([labels[r] for r in ordered]))
    return StepCases(str(table.path), cases, steps, long.channels, case_column=long.case_column,
                     time_column=config.time_column, label_name=key)
