"""Whether a search space has dropout at all: ``final_model.mc_dropout`` needs some.

Light: reads the parsed specs only (``validate``).
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.params import SEARCH_PARAMS, rule_holds

# Every rate that drops activations at training time, and so at Monte-Carlo prediction.
DROPOUT_PARAMS = ("dropout", "recurrent_dropout", "layer_dropout", "stack_dropout",
                  "dense_dropout")


def _bounds(spec: Any) -> tuple[float, float]:
    """The smallest and largest value a numeric spec allows (fixed, choice or range; a spec
    per layer: over all its layers)."""
    from lstm_automl.config.schema import (  # defers pydantic
        FloatSpec,
        IntSpec,
        LayerSpecs,
        spec_values,
    )

    if isinstance(spec, LayerSpecs):
        ends = [_bounds(part) for part in spec.per_layer]
        return min(lo for lo, _ in ends), max(hi for _, hi in ends)
    if isinstance(spec, FloatSpec):
        return float(spec.float_[0]), float(spec.float_[1])
    if isinstance(spec, IntSpec):
        return float(spec.int_[0]), float(spec.int_[1])
    values = [float(v) for v in spec_values(spec) or [] if v is not None] or [0.0]
    return min(values), max(values)


def _can_exist(name: str, specs: dict[str, Any]) -> bool:
    """Whether some trial has the layers a rate applies to (dense_dropout: a dense layer)."""
    from lstm_automl.config.schema import spec_values  # defers pydantic

    condition = SEARCH_PARAMS[name].active_when
    if condition is None:
        return True
    parent, rule = condition
    return any(rule_holds(rule, v) for v in spec_values(specs[parent]) or [])


def mc_dropout_checks(config: Any) -> tuple[list[str], list[str]]:
    """(problems, notes) of ``final_model.mc_dropout`` for this sweep."""
    if config.final_model.mc_dropout is None:
        return [], []
    if config.model is not None:
        return [], ["final_model.mc_dropout: the model.python network is not checked for "
                    "dropout; without any, every pass is the same and the spread is 0"]
    specs = config.search.specs()
    rates = [n for n in DROPOUT_PARAMS if _can_exist(n, specs) and _bounds(specs[n])[1] > 0]
    if not rates:
        return [f"final_model.mc_dropout: the search space has no dropout (every one of "
                f"{', '.join(DROPOUT_PARAMS)} is 0), so every pass would be the same; give "
                f"one of them a rate above 0"], []
    if all(_bounds(specs[n])[0] <= 0 for n in rates):
        return [], [f"final_model.mc_dropout: trials can have no dropout ({', '.join(rates)} "
                    f"can be 0); if the best one has none, its spread is 0"]
    return [], []
