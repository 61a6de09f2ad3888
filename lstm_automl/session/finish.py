"""Step 4 of a sweep: the final model on the test split, judged, registered, recorded.

The best trial (or the ensemble ``final_model`` asks for) predicts the test split; the classical
baselines predict the same points; the verdict (results/verdict.py) decides whether the model may
take the ``champion`` alias (tracking/registry.py); the sweep run gets the metrics, the summary
and the pictures, and closes.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_automl.data import SweepData
from lstm_automl.data.base import DEFAULT_BASELINE_BUDGET_S
from lstm_automl.data.metrics import forecast_metrics
from lstm_automl.errors import SweepError
from lstm_automl.faults import fault_point
from lstm_automl.model.backend import active_backend
from lstm_automl.model.python_model import python_ref
from lstm_automl.report import log_sweep_pictures
from lstm_automl.results.blend_text import (
    BLEND_MEANING,
    chosen_text,
    network_sentence,
    weights_text,
)
from lstm_automl.results.sweep_result import SweepResult, result_from_summary, summary_of
from lstm_automl.results.trial_record import SCORED, TrialRecord, failure_reason, failures_text
from lstm_automl.tracking.registry import Candidate, register_once
from lstm_automl.tracking.runs import SweepTracker
from lstm_automl.tracking.store import display_uri, tracking_call
from lstm_automl.tracking.tags import (
    BASELINE_LABEL_TAG,
    BEATS_BASELINES_TAG,
    BEST_TRIAL_TAG,
    BLEND_RULE_TAG,
    BLEND_TAG,
    FINAL_MODEL_TAG,
    MODEL_BACKEND_TAG,
    NETWORK_ALONE_TAG,
    STRONGEST_TAG,
    VERDICT_TAG,
)
from lstm_automl.tuning._keras_tuner_private import checkpoint_path

if TYPE_CHECKING:
    from lstm_automl.session.prepare import Prepared

__all__ = ["completed_result", "finish_sweep"]


def finish_sweep(prep: Prepared, tuner: Any, records: list[TrialRecord]) -> SweepResult:
    """Evaluate the final model on the test split, register it, close the sweep run.

    Args:
        prep: the prepared sweep.
        tuner: the tuner that ran the search (its oracle holds the trials).
        records: every trial's record.

    Returns:
        The sweep's result: test metrics, baselines, verdict and registered version.
    """
    loaded, data, tracker, uri = prep.loaded, prep.data, prep.tracker, prep.uri
    config = loaded.config
    completed = [r for r in records if r.status in SCORED and r.score is not None]
    if not completed:
        raise SweepError(f"every trial failed ({len(records)} ran); "
                         f"{failures_text(getattr(tuner, 'trial_records', []))}")
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = next(r for r in records if r.trial_id == best_trial.trial_id)
    checkpoint = Path(checkpoint_path(tuner, best_trial.trial_id))  # keras-tuner's layout
    if not checkpoint.exists():
        raise SweepError(f"the best trial's checkpoint {checkpoint} is missing: workers on other "
                         f"machines must share tuner.directory with the chief (for example on "
                         f"NFS), or run with --ray, whose workers upload their checkpoints")
    if prep.variants is not None:  # evaluate on the data variant the best trial trained on
        data = prep.variants.from_hp_values(best_trial.hyperparameters.values)
    final = _final_model(prep, tuner, data, records)
    fault_point("final")  # fault tests only (lstm_automl/faults.py): before the baselines
    test = data.splits["test"]
    calibrated = data.calibrate(lambda x: final.model.predict(x, verbose=0))  # before the test
    predicted = final.model.predict(test.x, verbose=0)
    budget = _baseline_budget(records)
    report = data.baseline_report(budget)
    blend = _blend(prep, tuner, data, final, report, budget)
    network_metrics = data.evaluate(predicted)
    result = SweepResult(parent_run_id=tracker.parent_run_id or "", records=records, best=best,
                         test_metrics=network_metrics if blend is None else
                         forecast_metrics(data.actual(), blend.forecast),
                         baselines=report.metrics,
                         primary_metric=data.primary_metric,
                         higher_is_better=data.higher_is_better,
                         lift=None, tracking_uri=display_uri(uri), notes=loaded.notes,
                         experiment_id=str(tracker.experiment_id or ""),
                         baseline_labels=report.labels,
                         baseline_notes=[*([calibrated] if calibrated else []),
                                         *report.notes, *final.notes],
                         final_model=final.description, baseline_seconds=report.seconds)
    if blend is not None:
        result.final_model = blend.description
        result.baseline_notes += blend.notes
        result.network_metrics, result.blend_weights = network_metrics, blend.weights
        result.blend_rule = blend.rule
    result.lift = result.verdict.lift
    header, rows = data.prediction_table(predicted, None if blend is None else blend.forecast)
    with tracking_call(uri, "logging the test predictions"):
        tracker.log_table(header, rows, "test_predictions.csv")
        if blend is not None and blend.arrays:
            tracker.log_arrays(blend.arrays, "blend/members.npz")
    if config.tracking.register_best:
        _register(prep, data, final.model if blend is None else blend.model, result,
                  None if blend is None else blend.spec(), calibrated)
    with tracking_call(uri, "closing the sweep's run"):
        _close(tracker, result, prep.plan.objective)
    result.mattered = _log_pictures(tracker.uri, result.parent_run_id)
    return result


def _baseline_budget(records: list[TrialRecord]) -> float:
    """Seconds the baselines' own searches may take: what a median trial took (a sweep of many
    long sequences must not spend more on its references than on one of its models), at least
    a few seconds so that small sweeps still get every method."""
    seconds = sorted(r.seconds for r in records if r.status == "COMPLETED" and r.seconds > 0)
    if not seconds:
        return DEFAULT_BASELINE_BUDGET_S
    return max(10.0, min(DEFAULT_BASELINE_BUDGET_S, seconds[len(seconds) // 2]))


def _final_model(prep: Prepared, tuner: Any, data: SweepData,
                 records: list[TrialRecord]) -> Any:
    """The registered network: the best trial, or the ensemble ``final_model`` asks for."""
    from lstm_automl.model.final_model import build_final_model  # defers keras, keras_tuner

    plan = prep.plan
    names = {r.trial_id: r.name for r in records}
    return build_final_model(prep.loaded.config.final_model, tuner, data, dict(plan.specs),
                             plan.seed, names, plan.jit_compile, prep.python)


def _blend(prep: Prepared, tuner: Any, data: SweepData, final: Any, report: Any,
           budget: float) -> Any:
    """The blend ``final_model.blend: with_baselines`` asks for, or None (the networks alone:
    not asked, or it could not be formed, which ``final.notes`` then says)."""
    if prep.loaded.config.final_model.blend != "with_baselines" or data.task != "forecast":
        return None
    from lstm_automl.model.blend import build_blend  # defers keras

    try:
        return build_blend(final, tuner, data, report, budget)
    except ValueError as exc:  # no validation windows, no classical member: the networks serve
        final.notes.append(f"final_model.blend: the networks alone are served ({exc})")
        return None


def _register(prep: Prepared, data: SweepData, model: Any, result: SweepResult,
              blend: dict[str, Any] | None = None, calibrated: str = "") -> None:
    """Register the final model once (a re-run finish finds the version it registered)."""
    from lstm_automl.serving.mc_dropout import mc_settings  # defers pandas
    from lstm_automl.serving.model_saving import model_writer  # defers pandas

    loaded = prep.loaded
    config = loaded.config
    verdict = result.verdict
    description = (f"Best of sweep '{config.name}': {result.final_model or result.best.name}; "
                   f"task {data.task}, data {data.source}. {verdict.sentence()}"
                   f"{_blend_text(result)} {_takes(data, calibrated)}")
    withheld = None
    if config.tracking.champion_must_beat_baseline and verdict.beats is False:
        withheld = (f"it does not beat {verdict.shortfall()} "
                    f"(tracking.champion_must_beat_baseline)")
    candidate = Candidate(
        model_name=config.model_name,
        test_metrics={f"test_{k}": v for k, v in result.test_metrics.items()},
        primary=f"test_{data.primary_metric}", higher_is_better=data.higher_is_better,
        description=description, withheld=withheld,
        tags={VERDICT_TAG: verdict.tag(), MODEL_BACKEND_TAG: active_backend(),
              **_blend_tags(result)})
    ref = python_ref(config, loaded.base_dir)
    mc = mc_settings(config.final_model.mc_dropout, config.seed)
    save = model_writer(model, data, ref.path if ref else None, mc, blend)
    done_for = f"{result.best.trial_id}/{len(result.records)}"
    with tracking_call(prep.uri, "registering the model"):
        registration = register_once(prep.tracker.uri, result.parent_run_id, done_for,
                                     candidate, save)
    result.model_name, result.model_version = config.model_name, registration.version
    result.champion, result.champion_reason = registration.champion, registration.reason


def _takes(data: SweepData, calibrated: str) -> str:
    """What the registered model takes and returns, for its description."""
    if data.task == "detect":
        score = ("mean absolute reconstruction error of the windows covering it"
                 if getattr(data, "scaled", None) is not None else
                 "absolute one-step forecast error")
        return (f"Takes a raw history with the training columns and returns, per row, the "
                f"{score} (score) and a 0/1 flag; {calibrated} (mlflow.pyfunc).")
    return ("Takes a raw table with the training columns and returns predictions in original "
            "units (mlflow.pyfunc).")


def _close(tracker: SweepTracker, result: SweepResult, objective: str) -> None:
    """The sweep run's final metrics, tags and summary.json; then it ends FINISHED."""
    metrics = {f"test_{k}": v for k, v in result.test_metrics.items()}
    for name, values in result.baselines.items():
        metrics.update({f"baseline_{name}_test_{k}": v for k, v in values.items()})
    primary = result.primary_metric
    verdict = result.verdict
    tags = {VERDICT_TAG: verdict.tag(), BEST_TRIAL_TAG: result.best.name}
    tags.update({BASELINE_LABEL_TAG + n: label[:500] for n, label in
                 result.baseline_labels.items()})
    if verdict.baseline is not None:
        tags[STRONGEST_TAG] = verdict.baseline
    if result.final_model:
        tags[FINAL_MODEL_TAG] = result.final_model[:500]
    tags.update(_blend_tags(result))
    metrics.update({f"network_test_{k}": v for k, v in result.network_metrics.items()})
    if result.lift is not None:
        metrics[f"test_{primary}_lift_over_best_baseline"] = result.lift
        tags[BEATS_BASELINES_TAG] = str(result.lift > 0).lower()
    tracker.set_sweep_tags(tags)
    if result.best.score is not None:
        metrics[f"best_{objective}"] = result.best.score
    counts = result.counts
    metrics["baselines_seconds"] = result.baseline_seconds
    metrics.update(trials_completed=counts["completed"], trials_failed=counts["failed"],
                   trials_retried=counts["retried"], trials_pruned=counts["pruned"])
    tracker.finish_sweep(metrics, result.best.values, summary_of(result))


def _blend_text(result: SweepResult) -> str:
    """The blend's weights and the network alone, for the registered description."""
    if not result.blend_weights:
        return ""
    return (f" {chosen_text(result.blend_rule or '')}: {weights_text(result.blend_weights)}; "
            f"{BLEND_MEANING}. "
            f"{network_sentence(result.verdict, result.network_metrics)} Send the series from "
            f"its first row: the classical members forecast from all of it.")


def _blend_tags(result: SweepResult) -> dict[str, str]:
    """The blend's weights and the network alone's primary test metric, as tags."""
    if not result.blend_weights:
        return {}
    tags = {BLEND_TAG: weights_text(result.blend_weights)[:500]}
    if result.blend_rule:
        tags[BLEND_RULE_TAG] = result.blend_rule[:500]
    value = result.network_metrics.get(result.primary_metric)
    if value is not None:
        tags[NETWORK_ALONE_TAG] = f"{result.primary_metric} {value:.6g}"
    return tags


def _log_pictures(uri: str, run_id: str) -> str:
    """Log the pictures; returns what mattered, in one line for the console ('' if unknown).
    Pictures are a convenience: a plotting problem must never fail a finished sweep."""
    try:
        from mlflow import MlflowClient

        paths, found = log_sweep_pictures(MlflowClient(tracking_uri=uri), run_id)
    except Exception as exc:  # matplotlib or the store: say so and keep the result
        print(f"  note: could not draw the sweep's pictures: {failure_reason(str(exc))}")
        return ""
    if found.reason:
        return found.reason
    where = " (plots/hyperparameter_importance.png)" if \
        "plots/hyperparameter_importance.png" in paths else ""
    return f"{found.top_sentence()}; fANOVA over {len(found.trials)} scored trials{where}"


def completed_result(prep: Prepared) -> SweepResult:
    """The result of a sweep that had finished, read back from its run (nothing is trained)."""
    tracker, parent, uri, loaded = prep.tracker, prep.parent, prep.uri, prep.loaded
    assert parent is not None  # only called for a sweep whose run was found
    with tempfile.TemporaryDirectory() as tmp, tracking_call(uri, "reading summary.json"):
        path = tracker.client.download_artifacts(parent.info.run_id, "summary.json", tmp)
        result = result_from_summary(Path(path), parent.info.run_id, display_uri(uri))
    ended = parent.info.end_time or parent.info.start_time or 0
    result.finished_at = datetime.fromtimestamp(ended / 1000).strftime("%Y-%m-%d %H:%M")
    result.notes = loaded.notes
    result.experiment_id = str(parent.info.experiment_id)
    return result
