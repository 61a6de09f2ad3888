"""The project's exceptions, each mapped to one exit code by ``cli``.

Keeping them in one light module lets every layer raise them without importing TensorFlow.
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
