"""``lstm_automl.SweepResult``: what a finished sweep gives a notebook: the leaderboard as a
DataFrame, the verdict, the model to load, and where the runs are in MLflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstm_automl.errors import SweepError
from lstm_automl.report.leaderboard import as_json, build_rows
from lstm_automl.results.target_verdict import TargetsVerdict
from lstm_automl.results.verdict import Verdict
from lstm_automl.tracking.read_back import load_sweep_runs
from lstm_automl.tracking.ui_link import experiment_url

if TYPE_CHECKING:
    import pandas as pd

    from lstm_automl.results.sweep_result import SweepResult as RawResult

__all__ = ["SweepResult", "leaderboard_frame"]


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep (or one that had finished before: ``already_complete``).

    Attributes:
        name: the sweep's name.
        leaderboard: one row per trial, best first, failed ones last (no ``rank``): ``trial``,
            ``cell``, ``depth``, ``units``, ``bidirectional``, the other searched values, the
            objective (e.g. ``val_loss``), ``epochs``, ``seconds``, ``status``, ``failure``,
            ``run_id``: what ``lstm-sweep leaderboard --format json`` lists.
        verdict: the final model against the strongest baseline on the test split;
            ``verdict.sentence()`` words it, ``.beats``, ``.lift``, ``.champion`` and
            ``.baseline_value`` give the numbers (``.per_target`` for several targets).
        test_metrics: the final model's metrics on the test split, in original units.
        baselines: each baseline's metrics on the same test points.
        model_uri: what to load in production code: ``models:/NAME@champion`` when this sweep's
            model took the alias, else ``models:/NAME/VERSION`` (``model_note`` says why);
            None when nothing was registered (``tracking.register_best: false``).
        model_note: why the alias was given or withheld, as the registry recorded it.
        version_uri: this sweep's registered version, whatever the alias points at later.
        experiment_id, run_id: the MLflow experiment and the sweep's parent run.
        tracking_uri: the store as users type it (a password hidden).
        ui_url: the MLflow UI page with the sweep's runs (a local store needs ``mlflow ui``).
    """

    name: str
    leaderboard: pd.DataFrame = field(repr=False)
    verdict: Verdict | TargetsVerdict
    test_metrics: dict[str, float]
    baselines: dict[str, dict[str, float]] = field(repr=False)
    model_uri: str | None
    model_note: str
    version_uri: str | None
    experiment_id: str
    run_id: str
    tracking_uri: str
    ui_url: str
    already_complete: bool = False
    _store_uri: str = field(default="", repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, raw: RawResult, name: str, store_uri: str) -> SweepResult:
        """Args: the session's result, the sweep's name, its store (resolved). Returns: the
        public result, its leaderboard read back from the store."""
        version = (f"models:/{raw.model_name}/{raw.model_version}" if raw.model_version
                   else None)
        alias = f"models:/{raw.model_name}@champion" if raw.champion and version else None
        return cls(
            name=name, leaderboard=leaderboard_frame(store_uri, raw.parent_run_id),
            verdict=raw.verdict, test_metrics=dict(raw.test_metrics),
            baselines=dict(raw.baselines), model_uri=alias or version,
            model_note=raw.champion_reason if version else "no model was registered "
            "(tracking.register_best: false)", version_uri=version,
            experiment_id=raw.experiment_id, run_id=raw.parent_run_id,
            tracking_uri=raw.tracking_uri, ui_url=experiment_url(store_uri, raw.experiment_id),
            already_complete=raw.already_complete, _store_uri=store_uri)

    def load_model(self) -> Any:
        """This sweep's registered model as an ``mlflow.pyfunc`` model (loaded once).

        Returns: the model of ``version_uri``, the version this sweep registered (the one the
        alias named when the sweep finished). Raises SweepError when none was registered.
        Points MLflow at the sweep's store first, as the run did.
        """
        if "model" not in self._cache:
            if self.version_uri is None:
                raise SweepError(f"sweep '{self.name}': {self.model_note}")
            import mlflow

            if mlflow.get_tracking_uri() != self._store_uri:
                mlflow.set_tracking_uri(self._store_uri)
            self._cache["model"] = mlflow.pyfunc.load_model(self.version_uri)
        return self._cache["model"]

    def predict(self, history: Any) -> Any:
        """Args: a table with the training columns (recent history for a forecast: at least
        ``lookback`` rows; sequences for classification). Returns: the predictions in
        original units (a DataFrame), as ``lstm-sweep predict`` writes them."""
        return self.load_model().predict(history)


def leaderboard_frame(store_uri: str, run_id: str) -> pd.DataFrame:
    """Args: the store and the sweep's parent run. Returns: the trials as ``lstm-sweep
    leaderboard --format json`` lists them (read back from MLflow, so the two always agree):
    best first, failed trials last without a rank, one column per searched value."""
    import pandas as pd
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    sweep = load_sweep_runs(client, client.get_run(run_id))
    rows, keys = build_rows(sweep)
    frame = pd.DataFrame(as_json(sweep, rows, keys, None)["trials"])
    if "rank" in frame:
        frame["rank"] = frame["rank"].astype("Int64")  # failed trials: <NA>, not a float rank
    return frame
