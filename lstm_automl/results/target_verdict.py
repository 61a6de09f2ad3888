"""The verdict on a champion that forecasts several target columns: one judgement per target.

Each target is compared with that target's own strongest baseline on the primary metric in its
own units (``rmse_<target>``); the champion beats the baselines only where it beats every
target's strongest one. A unitless headline would let a large win on one target hide a loss on
another, so it is never what the verdict is about.

``verdict_of`` is what every display calls: it gives the single-target ``Verdict`` (wording
unchanged) unless the metrics carry per-target keys, so the console, the summary, the leaderboard
and the HTML report read the same judgement from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_automl.results.verdict import Verdict, judge


def target_names(test_metrics: dict[str, float], metric: str) -> list[str]:
    """The targets a champion's test metrics are split by (``rmse_load`` → ``load``); none for
    a single target."""
    prefix = f"{metric}_"
    return [key.removeprefix(prefix) for key in test_metrics if key.startswith(prefix)]


@dataclass(frozen=True)
class TargetsVerdict:
    """Per-target verdicts, with the interface of ``Verdict`` where the displays need it."""

    metric: str
    higher_is_better: bool
    champion: float | None  # the unitless headline
    per_target: dict[str, Verdict]

    baseline_value: float | None = None  # no single baseline value: one per target

    @property
    def judged(self) -> dict[str, Verdict]:
        return {t: v for t, v in self.per_target.items() if v.beats is not None}

    @property
    def beaten(self) -> list[str]:
        return [t for t, v in self.judged.items() if v.beats]

    @property
    def lost(self) -> list[str]:
        return [t for t, v in self.judged.items() if not v.beats]

    @property
    def lift(self) -> float | None:
        """The smallest lift over the targets' strongest baselines: > 0 only when every judged
        target is beaten."""
        lifts = [v.lift for v in self.judged.values() if v.lift is not None]
        return min(lifts) if lifts else None

    @property
    def beats(self) -> bool | None:
        lift = self.lift
        return None if lift is None else lift > 0

    @property
    def baseline(self) -> str | None:
        """Each target's strongest baseline: ``load: sarima, temp: naive``."""
        named = [f"{t}: {v.baseline}" for t, v in self.judged.items()]
        return ", ".join(named) if named else None

    @property
    def named(self) -> str:
        return "the strongest baseline of each target"

    def shortfall(self) -> str:
        """What the champion does not beat, for the registry's withheld reason."""
        losses = ", ".join(f"{t} ({self.per_target[t].baseline})" for t in self.lost)
        return f"the strongest baseline on every target (loses on {losses})"

    def tag(self) -> str:
        if self.beats is None:
            return "no baseline"
        if self.beats:
            return f"beats the strongest baseline on all {len(self.judged)} targets"
        return f"loses on {', '.join(self.lost)}"

    def sentence(self) -> str:
        """Which targets the champion beats, each against its own strongest baseline."""
        if self.beats is None:
            return "No baseline could be scored on the test split: the result is unjudged."
        parts = [f"{t}: {_target_sentence(v, self.metric)}" for t, v in self.per_target.items()]
        if self.beats:
            head = f"Beats the strongest baseline on every target ({', '.join(self.beaten)})."
        else:
            beaten = f"; beats it on {', '.join(self.beaten)}" if self.beaten else ""
            head = (f"LOSES to the strongest baseline on {', '.join(self.lost)}{beaten} "
                    f"({len(self.beaten)} of {len(self.judged)} targets beaten).")
        return f"{head} Per target: {' '.join(parts)}"


def _target_sentence(verdict: Verdict, metric: str) -> str:
    """``beats sarima (SARIMA(...)), rmse 1.2 vs 1.5, 20.0% lower.`` and the like."""
    if verdict.beats is None or verdict.lift is None:
        return "no baseline."
    champ, base = f"{verdict.champion:.4g}", f"{verdict.baseline_value:.4g}"
    if verdict.higher_is_better:
        gap = f"{abs(verdict.lift) * 100:.1f} points {'higher' if verdict.beats else 'lower'}"
    else:
        gap = f"{abs(verdict.lift):.1%} {'lower' if verdict.beats else 'higher'}"
    word = "beats" if verdict.beats else "LOSES to"
    return f"{word} {verdict.named}, {metric} {champ} vs {base}, {gap}."


def judge_targets(test_metrics: dict[str, float], baselines: dict[str, dict[str, float]],
                  metric: str, higher_is_better: bool, targets: list[str],
                  labels: dict[str, str] | None = None) -> TargetsVerdict:
    """Each target's metric against that target's strongest baseline."""
    labels = labels or {}
    per_target = {}
    for target in targets:
        own = {name: labels.get(f"{name}/{target}") or labels.get(name, "")
               for name in baselines}
        per_target[target] = judge(test_metrics, baselines, f"{metric}_{target}",
                                   higher_is_better, {k: v for k, v in own.items() if v})
    return TargetsVerdict(metric, higher_is_better, test_metrics.get(metric), per_target)


def verdict_of(test_metrics: dict[str, float], baselines: dict[str, dict[str, float]],
               metric: str, higher_is_better: bool,
               labels: dict[str, str] | None = None) -> Verdict | TargetsVerdict:
    """The verdict every display shows: per target where the metrics are split by target."""
    targets = target_names(test_metrics, metric)
    if targets:
        return judge_targets(test_metrics, baselines, metric, higher_is_better, targets, labels)
    return judge(test_metrics, baselines, metric, higher_is_better, labels)


__all__ = ["TargetsVerdict", "judge_targets", "target_names", "verdict_of"]
