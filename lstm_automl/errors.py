"""The project's exceptions: ``LstmSweepError`` and its subclasses, each mapped to one exit
code by ``cli``, and the few that are signals between layers (``SpecError``, ``RawInputError``,
``Recycle``).

Keeping them in one light module lets every layer raise them without importing TensorFlow. The
one exception kept elsewhere, ``tuners.TrackingLost``, must subclass keras-tuner's FatalError.
"""

from __future__ import annotations


class LstmSweepError(Exception):
    """Base class: an error the user can act on, printed as one clean message."""

    exit_code = 1


class ConfigError(LstmSweepError):
    """The sweep file is unusable; ``problems`` lists every issue found, one line each."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class DataError(LstmSweepError):
    """The data named by the sweep cannot be used (missing file, column, too short, ...)."""

    exit_code = 2


class TrackingError(LstmSweepError):
    """The MLflow tracking store cannot be reached or written."""

    exit_code = 1


class SweepError(LstmSweepError):
    """The sweep ran but produced nothing usable (for example every trial failed)."""

    exit_code = 1


class SweepChangedError(LstmSweepError):
    """An existing sweep's definition changed in a way that changes what its trials mean."""

    exit_code = 2


class SweepLookupError(LstmSweepError):
    """The sweep asked for is not in the store (or the store is empty): a usage error."""

    exit_code = 2


class ReportPathError(LstmSweepError):
    """The report cannot be written where asked: a usage error."""

    exit_code = 2


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a sweep; its runs are closed as KILLED and the message says how
    to resume. A KeyboardInterrupt, so code that stops on Ctrl-C (a notebook) still does."""

    exit_code = 130


class SpecError(ValueError):
    """A problem inside one parameter spec; ``subpath`` extends the key path (e.g. ``int``).

    A ValueError, so that pydantic reports it as a validation error of the spec's key.
    """

    def __init__(self, subpath: str, message: str) -> None:
        self.subpath = subpath
        super().__init__(message)


class RawInputError(ValueError):
    """The raw input cannot be turned into model input; the message says what to fix."""


class Recycle(BaseException):
    """This process ran its share of trials; a fresh one continues the sweep
    (distributed/process_recycling.py).

    A BaseException, so nothing that handles trial errors takes it for a failure.
    """
