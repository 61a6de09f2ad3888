"""The Python API: what ``lstm-sweep run`` and ``validate`` do, from a notebook or a script.

    import lstm_automl
    result = lstm_automl.run("sweeps/quickstart.yaml", overrides={"tuner.max_trials": 2})
    result.leaderboard                 # a pandas DataFrame, best trial first
    print(result.verdict.sentence())   # the final model against the strongest baseline
    result.predict(history)            # the registered model, original units out

A sweep is a YAML file's path or a dict with the same keys (checked exactly like a file; its
relative paths resolve against the current folder). Errors are the command line's, as
exceptions: ``ConfigError`` (the sweep or an override is unusable; names the key), ``DataError``,
``SweepError`` (the sweep ran but produced nothing usable), ``TrackingError``,
``SweepChangedError`` and ``SweepInterrupted`` (Ctrl-C; a ``KeyboardInterrupt``). The command
line maps each to its exit code (2, 2, 1, 1, 2, 130). ``validate`` imports neither TensorFlow nor
MLflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_automl.api._result import SweepResult
from lstm_automl.console import NORMAL, QUIET, VERBOSE, Reporter
from lstm_automl.errors import (
    ConfigError,
    DataError,
    LstmSweepError,
    SweepChangedError,
    SweepError,
    SweepInterrupted,
    TrackingError,
)
from lstm_automl.tracking.store import resolve_tracking_uri

if TYPE_CHECKING:
    from lstm_automl.api._sources import Overrides, SweepSource
    from lstm_automl.api._validation import ValidatedSweep
    from lstm_automl.results.sweep_result import SweepResult as RawResult
    from lstm_automl.sweep_file.loader import LoadedSweep

__all__ = ["ConfigError", "DataError", "LstmSweepError", "SweepChangedError", "SweepError",
           "SweepInterrupted", "SweepResult", "TrackingError", "ValidatedSweep", "run",
           "validate"]


def run(sweep: SweepSource, *, overrides: Overrides = None, fresh: bool = False,
        workers: int | None = None, gpus: str | None = None, ray: str | None = None,
        gpus_per_trial: float | None = None, backend: str | None = None,
        quiet: bool = False, verbose: bool = False, debug: bool = False) -> SweepResult:
    """Run a sweep, or resume it where it stopped, as ``lstm-sweep run`` does.

    Args:
        sweep: a sweep YAML file's path, or a dict with the file's keys.
        overrides: ``{"tuner.max_trials": 2}`` or ``["tuner.max_trials=2"]``: values written
            into the sweep before it is checked, like ``--set`` (part of its identity).
        fresh: start over (discard the tuner's saved state; earlier MLflow runs stay). Without
            it an interrupted sweep resumes, and a finished one returns its recorded result.
        workers, gpus: train in N worker processes, or one per GPU (``"0,1"``); file only.
        ray, gpus_per_trial: place the workers on a Ray cluster (``"local"``, ``"auto"`` or
            an address), each with that GPU share; file only (``pip install 'lstm-sweep[ray]'``).
        backend: ``tensorflow``, ``jax``, ``torch`` or ``auto`` (default: training.backend).
        quiet, verbose: print only the result, or Keras' epochs too.
        debug: let framework start-up messages through.

    Returns:
        The ``SweepResult``: leaderboard, verdict, model URI, MLflow links, ``load_model()``.
    """
    from lstm_automl.api._running import RunOptions, execute  # defers pydantic
    from lstm_automl.api._sources import load, source_path  # defers pydantic

    loaded = load(sweep, overrides)
    verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
    options = RunOptions(sweep_file=source_path(sweep),
                         fresh=fresh, workers=workers, gpus=gpus, ray=ray,
                         gpus_per_trial=gpus_per_trial, backend=backend,
                         verbosity=verbosity, debug=debug)
    raw = execute(loaded, options)
    if raw is None:  # child processes ran it (training.recycle_every): read what they recorded
        raw = _recorded(loaded)
    return _public(loaded, raw)


def validate(sweep: SweepSource, overrides: Overrides = None, *,
             data: bool = True) -> ValidatedSweep:
    """Check a sweep as ``lstm-sweep validate`` does; nothing is trained, tracked or written.

    Args:
        sweep: a sweep YAML file's path, or a dict with the file's keys.
        overrides: as for ``run``.
        data: load the data and every searched data variant too (``--no-data``: False).

    Returns:
        The ``ValidatedSweep`` (resolved config, searched values, notes). Raises ConfigError
        (naming the file or ``sweep dict`` and the key) or DataError, with the CLI's message.
    """
    from lstm_automl.api._sources import load  # defers pydantic
    from lstm_automl.api._validation import check  # defers pydantic

    return check(load(sweep, overrides), with_data=data)


def _recorded(loaded: LoadedSweep) -> RawResult:
    """The result the child processes recorded, read back from the sweep's run."""
    from lstm_automl.session import SweepSession  # defers pydantic

    session = SweepSession.prepare(loaded, Reporter(QUIET))
    if not session.already_complete:
        raise SweepError("the sweep's child processes ended without finishing it")
    return session.completed_result()


def _public(loaded: LoadedSweep, raw: RawResult) -> SweepResult:
    config = loaded.config
    return SweepResult.of(raw, config.name, resolve_tracking_uri(config.tracking.tracking_uri))


def __getattr__(name: str) -> Any:
    """``ValidatedSweep`` on first use: the runner and the checks load only when needed."""
    if name == "ValidatedSweep":
        from lstm_automl.api._validation import ValidatedSweep  # defers pydantic

        return ValidatedSweep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
