"""``lstm-sweep predict``: a registered model on a raw CSV of recent history or sequences.

The model carries its own preprocessing, so the input is a table with the training column names
and the output is in original units (forecasts) or labels with probabilities (classification).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path
from typing import Any

from lstm_automl.commands.predict_files import (
    PARQUET_SUFFIXES,
    check_output,
    read_table,
    write_table,
)
from lstm_automl.errors import DataError, RawInputError
from lstm_automl.framework_logs import quiet_frameworks, silenced_fd2
from lstm_automl.model.backend import select_backend
from lstm_automl.tracking.store import disable_telemetry, resolve_tracking_uri

RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def model_uri(reference: str) -> str:
    """models:/NAME@alias, models:/NAME/VERSION, runs:/ID/model, a run id, or a local folder."""
    if RUN_ID.match(reference):
        return f"runs:/{reference}/model"
    if "://" in reference or reference.startswith(("models:/", "runs:/")):
        return reference
    folder = Path(reference)
    if not (folder / "MLmodel").exists():
        raise DataError(f"--model {reference}: not a model URI, run id or MLflow model folder "
                        f"(no MLmodel file there)")
    return str(folder.resolve())


def predict_command(args: argparse.Namespace) -> int:
    """``lstm-sweep predict``: raw table in, predictions in original units out.

    Args:
        args: ``model`` (a model URI, run id or folder), ``input`` (CSV or Parquet), ``output``
            (default: stdout) with ``overwrite``, ``tracking_uri`` and ``backend``.

    Returns:
        0 done; bad input raises the project's errors (``errors.py``), which ``cli.main``
        turns into one line and exit 2.
    """

    quiet_frameworks()
    if getattr(args, "backend", None):  # else the loader picks (tracking.pyfunc)
        select_backend(flag=args.backend)
    disable_telemetry()
    source = Path(args.input)
    output = Path(args.output) if args.output else None
    if output is not None:  # before any work: nothing is computed for an output that cannot be
        check_output(output, source, getattr(args, "overwrite", False))
    uri = model_uri(args.model)
    frame = read_table(source)
    import mlflow

    mlflow.set_tracking_uri(resolve_tracking_uri(args.tracking_uri))
    quiet = contextlib.nullcontext() if getattr(args, "debug", False) else silenced_fd2()
    try:
        with quiet:  # the framework's start-up INFO lines
            model = mlflow.pyfunc.load_model(uri)
    except mlflow.exceptions.MlflowException as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"--model {args.model}: cannot load it: {first}") from None
    strings = string_columns(model)
    if strings and source.suffix.lower() not in PARQUET_SUFFIXES:  # Parquet keeps its types
        frame = read_table(source, strings)
    try:
        result = model.predict(frame)
    except RawInputError as exc:
        raise DataError(f"{args.input}: {exc}") from None
    except mlflow.exceptions.MlflowException as exc:  # the signature refused a column or type
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"{args.input}: {first}") from None
    if output is not None:
        write_table(result, output)
        print(f"wrote {len(result)} prediction row(s) to {output}", file=sys.stderr)
    else:
        print(result.to_csv(index=False), end="")
    return 0


def string_columns(model: Any) -> tuple[str, ...]:
    """The input columns the model's signature types as strings (a text model's text column):
    a CSV reader would take ``42`` or ``3.10`` in them for numbers."""
    from mlflow.types import DataType  # defers mlflow

    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return ()
    return tuple(str(c.name) for c in schema.inputs
                 if getattr(c, "type", None) == DataType.string)


__all__ = ["model_uri", "predict_command", "string_columns"]
