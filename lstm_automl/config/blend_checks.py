"""Where ``final_model.blend: with_baselines`` applies: one forecast target, no MC dropout.

Light: reads the parsed config only (``validate``).
"""

from __future__ import annotations

from typing import Any


def blend_checks(config: Any) -> list[str]:
    """Problems of ``final_model.blend`` for this sweep, one line each."""
    if config.final_model.blend != "with_baselines":
        return []
    key = "final_model.blend: with_baselines"
    if config.data.task != "forecast":
        return [f"{key} blends forecasts with classical baselines; task {config.data.task} has "
                f"none (use blend: networks)"]
    if isinstance(config.data.target, list) and len(config.data.target) > 1:
        return [f"{key} needs a single data.target (got {len(config.data.target)} targets)"]
    if config.final_model.mc_dropout is not None:
        return [f"{key} does not combine with final_model.mc_dropout (the classical members "
                f"have no dropout passes); drop one of them"]
    return []
