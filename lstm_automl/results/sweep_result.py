"""What a sweep produced, and its round trip through ``summary.json`` on the sweep run.

Writing and reading the summary in one place lets a finished sweep that is run again show its
result without training or registering anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstm_automl.results.target_verdict import TargetsVerdict, verdict_of
from lstm_automl.results.trial_record import TrialRecord, failure_reason
from lstm_automl.results.verdict import Verdict


@dataclass
class SweepResult:
    """What a finished sweep produced, for the console and for tests."""

    parent_run_id: str
    records: list[TrialRecord]
    best: TrialRecord
    test_metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    primary_metric: str = "rmse"
    higher_is_better: bool = False
    lift: float | None = None  # improvement over the strongest baseline (see verdict.py)
    baseline_labels: dict[str, str] = field(default_factory=dict)  # what each baseline is
    baseline_notes: list[str] = field(default_factory=list)  # skipped or capped, and why
    final_model: str = ""  # what was registered: "trial-003" or "mean of 3 ..., refit"
    baseline_seconds: float = 0.0  # what computing the baselines took
    model_name: str | None = None
    model_version: str | None = None
    champion: bool = False
    champion_reason: str = ""
    tracking_uri: str = ""
    experiment_id: str = ""  # the MLflow experiment holding the sweep's runs
    notes: list[str] = field(default_factory=list)
    already_complete: bool = False  # nothing ran: the sweep had finished before
    finished_at: str = ""
    mattered: str = ""  # "learning_rate 62%, cell 21%, units 9% (fANOVA, 12 scored trials)"
    # final_model.blend with_baselines: the networks' ensemble alone on the test split, and each
    # member's weight in the blend (``test_metrics`` are then the blend's); empty otherwise.
    network_metrics: dict[str, float] = field(default_factory=dict)
    blend_weights: dict[str, float] = field(default_factory=dict)
    blend_rule: str = ""  # how the weights were chosen: "greedy selection, kept: ..."

    @property
    def verdict(self) -> Verdict | TargetsVerdict:
        """The champion against the strongest baseline (each target's, for several targets):
        one judgement for every display."""
        return verdict_of(self.test_metrics, self.baselines, self.primary_metric,
                     self.higher_is_better, self.baseline_labels)

    @property
    def counts(self) -> dict[str, int]:
        """Completed, pruned, failed and retried trials (retried: an interrupted attempt came
        first)."""
        completed = sum(r.status == "COMPLETED" for r in self.records)
        pruned = sum(r.status == "PRUNED" for r in self.records)
        return {"completed": completed, "pruned": pruned,
                "failed": len(self.records) - completed - pruned,
                "retried": sum(r.attempt > 1 for r in self.records)}


def summary_of(result: SweepResult) -> dict[str, Any]:
    """The JSON logged as ``summary.json`` on the sweep run."""
    return {
        "best_trial": result.best.name, "best_trial_id": result.best.trial_id,
        "best_values": result.best.values,
        "test_metrics": result.test_metrics, "baselines": result.baselines,
        "primary_metric": result.primary_metric, "higher_is_better": result.higher_is_better,
        "lift_over_best_baseline": result.lift, "counts": result.counts,
        "baseline_labels": result.baseline_labels, "baseline_notes": result.baseline_notes,
        "strongest_baseline": result.verdict.baseline, "verdict": result.verdict.sentence(),
        "final_model": result.final_model,
        "network_metrics": result.network_metrics, "blend_weights": result.blend_weights,
        "blend_rule": result.blend_rule,
        "registered": {"name": result.model_name, "version": result.model_version,
                       "champion": result.champion, "reason": result.champion_reason},
        "trials": [{"name": r.name, "number": r.number, "trial_id": r.trial_id,
                    "status": r.status, "score": r.score, "epochs": r.epochs,
                    "seconds": round(r.seconds, 2), "run_id": r.run_id, "attempt": r.attempt,
                    "values": r.values, "stopped": r.stopped,
                    "failure": failure_reason(r.message) if r.message else None}
                   for r in result.records],
    }


def result_from_summary(path: Path, parent_run_id: str, tracking_uri: str) -> SweepResult:
    """Rebuild the result of a finished sweep from its ``summary.json``."""
    summary = json.loads(path.read_text())
    records = [TrialRecord(
        number=int(t.get("number") or index), trial_id=str(t.get("trial_id", index - 1)),
        run_id=t.get("run_id") or "", name=t["name"], values=t.get("values") or {},
        status=t["status"], score=t.get("score"), epochs=int(t.get("epochs") or 0),
        seconds=float(t.get("seconds") or 0.0), message=t.get("failure"),
        attempt=int(t.get("attempt") or 1), stopped=t.get("stopped"))
        for index, t in enumerate(summary.get("trials", []), start=1)]
    best = next((r for r in records if r.name == summary.get("best_trial")), records[0])
    registered = summary.get("registered") or {}
    return SweepResult(
        parent_run_id=parent_run_id, records=records, best=best,
        test_metrics=summary.get("test_metrics") or {},
        baselines=summary.get("baselines") or {},
        primary_metric=summary.get("primary_metric", "rmse"),
        higher_is_better=bool(summary.get("higher_is_better", False)),
        lift=summary.get("lift_over_best_baseline"), model_name=registered.get("name"),
        baseline_labels=summary.get("baseline_labels") or {},
        baseline_notes=summary.get("baseline_notes") or [],
        final_model=summary.get("final_model") or "",
        network_metrics=summary.get("network_metrics") or {},
        blend_weights=summary.get("blend_weights") or {},
        blend_rule=summary.get("blend_rule") or "",
        model_version=registered.get("version"), champion=bool(registered.get("champion")),
        champion_reason=registered.get("reason") or "", tracking_uri=tracking_uri,
        already_complete=True)
