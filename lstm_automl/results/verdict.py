"""The verdict on a champion: does it beat the strongest reference on the same test points?

One place decides which baseline is the strongest and words the answer, so the console, the
leaderboard, the HTML report, the registered model's description and the sweep run's tags can
never disagree. A lift is only ever stated against the strongest baseline, never a weaker one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The champion's primary test metric against the strongest baseline's."""

    metric: str
    higher_is_better: bool
    champion: float | None
    baseline: str | None  # name of the strongest baseline; None when there is none
    baseline_value: float | None = None
    baseline_label: str = ""

    @property
    def lift(self) -> float | None:
        """Errors improve relatively (0.2: 20 % lower); scores absolutely (0.05: 5 points)."""
        if self.champion is None or self.baseline_value is None:
            return None
        if self.higher_is_better:
            return self.champion - self.baseline_value
        return 1.0 - self.champion / self.baseline_value if self.baseline_value else None

    @property
    def beats(self) -> bool | None:
        """True only when strictly better than the strongest baseline; None when unknown."""
        lift = self.lift
        return None if lift is None else lift > 0

    @property
    def named(self) -> str:
        """The strongest baseline as people read it: ``sarima (SARIMA(0,1,1)(0,1,1)12 on log)``."""
        if self.baseline is None:
            return "no baseline"
        shown = self.baseline_label
        return f"{self.baseline} ({shown})" if shown and shown != self.baseline else self.baseline

    def shortfall(self) -> str:
        """What the champion does not beat, for the registry's withheld reason."""
        return f"the strongest baseline, {self.baseline}"

    def tag(self) -> str:
        """Short form for the sweep run's and model version's tag."""
        if self.beats is None:
            return "no baseline"
        return f"{'beats' if self.beats else 'loses to'} {self.baseline}"

    def sentence(self) -> str:
        """One plain sentence, the same wherever the result is shown."""
        if self.beats is None or self.lift is None:
            return "No baseline could be scored on the test split: the result is unjudged."
        metric, champ, base = self.metric, _num(self.champion), _num(self.baseline_value)
        against = f"the strongest baseline, {self.named} ({metric} {base})"
        if self.higher_is_better:
            gap = f"{abs(self.lift) * 100:.1f} points"
            if self.beats:
                return f"Beats {against}: test {metric} {champ}, {gap} higher."
            return f"LOSES to {against}: test {metric} {champ}, {gap} lower."
        if self.beats:
            return f"Beats {against}: test {metric} {champ}, {self.lift:.1%} lower."
        return f"LOSES to {against}: test {metric} {champ}, {-self.lift:.1%} higher."


def judge(test_metrics: dict[str, float], baselines: dict[str, dict[str, float]], metric: str,
          higher_is_better: bool, labels: dict[str, str] | None = None) -> Verdict:
    """The verdict of ``test_metrics`` against the strongest of ``baselines`` on ``metric``."""
    scored = {name: values[metric] for name, values in baselines.items()
              if metric in values and values[metric] == values[metric]}  # NaN never wins
    if not scored:
        return Verdict(metric, higher_is_better, test_metrics.get(metric), None)
    pick = max if higher_is_better else min
    strongest = pick(scored, key=scored.__getitem__)
    return Verdict(metric, higher_is_better, test_metrics.get(metric), strongest,
                   scored[strongest], (labels or {}).get(strongest, ""))


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
