"""What a classification whose classes come from a series (``data.label_from``) cannot use,
refused at validate.

Such a sweep reads one series in time order and cuts it into windows of
``label_from.lookback`` rows; the keys that read sequence tables (one label per sequence, cases,
windows of sequences, text) have nothing to act on, and a generated or shipped set of sequences
is not a series. Light: no TensorFlow.
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.builtin import DATASETS, builtin_name

# Sequence-table keys with no meaning for one series cut into windows, and why.
_NOT_WITH_SERIES = {
    "layout": "the source is one series, one row per time step",
    "case_column": "the source is one series (no cases)",
    "window": "the windows are label_from.lookback rows ending at each labelled row",
    "window_step": "every row with a full window and a forward move is labelled",
    "text": "the input is the series' numeric columns",
    "label": "the classes are built from label_from.column",
}


def label_from_problems(config: Any) -> list[str]:
    """One line per setting that cannot act with ``data.label_from`` (none without it)."""
    data = config.data
    if getattr(data, "label_from", None) is None:
        return []
    problems = [f"data.{key}: not with data.label_from ({why}); leave it out"
                for key, why in _NOT_WITH_SERIES.items() if getattr(data, key, None) is not None]
    name = builtin_name(data.source)
    series = ", ".join(f"builtin:{n}" for n in DATASETS)
    if data.source.startswith("generate:"):
        problems.append(f"data.source: data.label_from reads a series from a CSV/Parquet file "
                        f"or {series}; {data.source} makes sequences")
    elif name is not None and name not in DATASETS:
        problems.append(f"data.source: builtin:{name} is a set of sequences; data.label_from "
                        f"reads a series (a CSV/Parquet file or {series})")
    if config.final_model.mc_dropout is not None:
        problems.append("final_model.mc_dropout: not with data.label_from yet (its model "
                        "serves one class per history); leave it out")
    return problems
