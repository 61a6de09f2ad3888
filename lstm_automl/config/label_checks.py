"""What ``task: label`` (one class per step) cannot use, refused at validate.

A per-step model keeps every recurrent layer's sequence output and puts a softmax on each step,
so settings that read only the last state or pool the whole sequence into one vector, or that
give each sequence one label, have nothing to act on. Light: no TensorFlow.
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.schema import spec_values

LABEL = "label"


def _can_be_true(spec: Any) -> bool:
    return any(v is True for v in spec_values(spec) or [])


def label_problems(config: Any) -> list[str]:
    """One line per setting a ``task: label`` sweep cannot use (none for other tasks)."""
    data = config.data
    if data.task != LABEL:
        return []
    problems = []
    if getattr(data, "text", None) is not None:  # a tagger: text_checks says what cannot act
        return _step_output_problems(config)
    if data.layout == "wide":
        problems.append("data.layout: wide gives each sequence one label; task: label reads a "
                        "long table (one row per step: case_column, time_column, features, "
                        "label), an .npz with y of samples x steps, or generate:regimes")
    if data.window is not None:
        problems.append("data.window: cuts whole-sequence examples; task: label already "
                        "predicts every step of a sequence (leave data.window out)")
    if config.final_model.mc_dropout is not None:
        problems.append("final_model.mc_dropout: not offered for task: label (its spread is "
                        "per sequence); leave it out")
    return problems + _step_output_problems(config)


def _step_output_problems(config: Any) -> list[str]:
    """The search settings that need one output per sequence."""
    problems = []
    specs = config.search.specs()
    for name, why in (("fcn_branch", "pools the whole sequence into one vector"),
                      ("dimension_shuffle", "turns the steps into features")):
        if _can_be_true(specs[name]):
            problems.append(f"search.{name}: {why}; task: label predicts every step from the "
                            f"recurrent stack's sequence output (allowed: false)")
    return problems
