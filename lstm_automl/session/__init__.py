"""One sweep as one object, walked in four steps, each in its own module (read them in order):

1. ``prepare.py``: check everything that can be refused; load data; open the sweep folder.
2. ``open_run.py``: print what will run; open or re-attach the sweep's MLflow run.
3. ``search.py``: keras-tuner searches, one MLflow run per trial.
4. ``finish.py``: final model, test split, baselines, verdict, registry, summary, pictures.

``lstm-sweep run`` drives all four in one process (``SweepSession.run``). ``--workers``, ``chief``
and ``worker`` (distributed/workers.py) and the recycling supervisor
(distributed/process_recycling.py) are other drivers of the same steps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from lstm_automl.console import Reporter, lost_store_message
from lstm_automl.errors import Recycle, TrackingError
from lstm_automl.results.sweep_result import SweepResult
from lstm_automl.results.trial_record import TrialRecord
from lstm_automl.session.finish import completed_result, finish_sweep
from lstm_automl.session.open_run import configure_reporter, open_sweep_run
from lstm_automl.session.prepare import Prepared, prepare, sweep_folder
from lstm_automl.session.search import search
from lstm_automl.sweep_file.loader import LoadedSweep

__all__ = ["Prepared", "SweepSession", "run_sweep", "sweep_folder"]


class SweepSession:
    """A prepared sweep and the console it reports to; the tuner once the search has run."""

    def __init__(self, prep: Prepared, reporter: Reporter) -> None:
        self.prep = prep
        self.reporter = reporter
        self.tuner: Any = None

    @classmethod
    def prepare(cls, loaded: LoadedSweep, reporter: Reporter, fresh: bool = False,
                rerun: str | None = None, via: str | None = None) -> SweepSession:
        """Step 1 (no TensorFlow, no MLflow run yet): see ``session/prepare.py``.

        Args:
            loaded: the checked sweep file.
            reporter: the console the sweep prints to.
            fresh: discard the tuner state and start over.
            rerun: the command line that runs this sweep again, for messages.
            via: the URI to talk to instead of the store itself (a local server in front).

        Returns:
            The session, ready for ``run`` (or for a driver's own steps).
        """
        return cls(prepare(loaded, fresh, rerun, via), reporter)

    @property
    def already_complete(self) -> bool:
        """The sweep finished before with at least the trials asked for: nothing to train."""
        return self.prep.already_complete

    def completed_result(self) -> SweepResult:
        return completed_result(self.prep)

    def open(self) -> None:
        """Step 2: print the header; open (or re-attach) the sweep run."""
        open_sweep_run(self.prep, self.reporter)

    def configure_reporter(self) -> None:
        """For a driver that skips ``open`` (a worker attaches to the chief's run)."""
        configure_reporter(self.prep, self.reporter)

    def search(self) -> list[TrialRecord]:
        """Step 3, in this process: every trial the budget allows (or what is left of it)."""
        self.tuner, records = search(self.prep, self.reporter)
        return records

    def finish(self, records: list[TrialRecord], tuner: Any = None) -> SweepResult:
        """Step 4: evaluate, judge, register and close (``tuner``: one a driver made itself)."""
        return finish_sweep(self.prep, tuner or self.tuner, records)

    @contextlib.contextmanager
    def guarded(self) -> Iterator[None]:
        """Close the sweep's runs on any way out; a lost store says how to resume."""
        tracker = self.prep.tracker
        try:
            yield
        except Recycle:  # between trials, everything saved: the next process goes on from here
            raise
        except KeyboardInterrupt:
            tracker.abort("KILLED")
            raise
        except TrackingError as exc:  # tuning.tuners.TrackingLost is one too
            tracker.abort("FAILED", str(exc))
            folder = sweep_folder(self.prep.loaded)
            raise TrackingError(lost_store_message(str(exc), folder, self.prep.rerun)) from None
        except BaseException:
            tracker.abort("FAILED")
            raise

    def run(self) -> SweepResult:
        """All four steps in this process (or the recorded result of a finished sweep).

        Returns:
            The sweep's result: test metrics, baselines, verdict and registered version.
        """
        if self.already_complete:
            return self.completed_result()
        self.open()
        with self.guarded():
            return self.finish(self.search())


def run_sweep(loaded: LoadedSweep, reporter: Reporter, fresh: bool = False,
              rerun: str | None = None) -> SweepResult:
    """Run (or resume) the whole sweep in this process; project errors carry a clear message.

    Args:
        loaded: the checked sweep file (``sweep_file.loader.load_sweep``).
        reporter: the console the sweep prints to.
        fresh: discard the tuner state and start over (``--fresh``).
        rerun: the command line that runs this sweep again, for messages.

    Returns:
        The sweep's result: the final model's test metrics, the baselines and the verdict.
    """
    return SweepSession.prepare(loaded, reporter, fresh, rerun).run()
