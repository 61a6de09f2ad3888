"""How a blended final model is worded: its weights, and the network alone beside it.

A blend that holds the strongest baseline can beat that baseline while its network adds little,
so wherever the verdict is shown the network alone is judged beside it, by the same rule
(``verdict.py``) against the same strongest baseline.
"""

from __future__ import annotations

from lstm_automl.results.verdict import Verdict

BLEND_MEANING = ("the registered model blends the networks with classical baselines; its "
                 "verdict is the blend's (it beats the strongest baseline only where the blend "
                 "scores better on the test split)")


def network_verdict(verdict: Verdict, network_metrics: dict[str, float]) -> Verdict:
    """The network alone (no classical member) against the blend's strongest baseline."""
    return Verdict(verdict.metric, verdict.higher_is_better,
                   network_metrics.get(verdict.metric), verdict.baseline,
                   verdict.baseline_value, verdict.baseline_label)


def network_sentence(verdict: Verdict, network_metrics: dict[str, float]) -> str:
    """``The network alone: LOSES to ... by 10.1%``; plain metrics where nothing judges it."""
    alone = network_verdict(verdict, network_metrics)
    if alone.beats is None:
        shown = "  ".join(f"{k} {v:.4g}" for k, v in network_metrics.items())
        return f"The network alone (without the baselines): test {shown}."
    return f"The network alone (without the baselines): {alone.sentence()}"


def chosen_text(rule: str) -> str:
    """``Blend weights (chosen on validation, RULE)``: the console's and the report's label."""
    return f"Blend weights (chosen on validation{', ' + rule if rule else ''})"


def weights_text(weights: dict[str, float]) -> str:
    """``trial-003 0.40, sarima 0.60``."""
    return ", ".join(f"{name} {weight:.2f}" for name, weight in weights.items())


__all__ = ["BLEND_MEANING", "chosen_text", "network_sentence", "network_verdict", "weights_text"]
