"""Meaning checks of the optimisation keys: ``lr_schedule`` against early stopping
(``validate`` and ``run`` share them)."""

from __future__ import annotations

from typing import Any

from lstm_automl.config.schema import spec_values


def _values(spec: Any) -> list[Any]:
    """Every value a spec can take (a range: its two ends, which is all the checks need)."""
    found = spec_values(spec)
    if found is not None:
        return list(found)
    ends = getattr(spec, "int_", None) or getattr(spec, "float_", None)
    return list(ends) if ends else [spec]


def schedule_notes(config: Any) -> list[str]:
    """A plateau patience at least as long as early stopping's never lowers the rate: the
    trial stops first."""
    specs = config.search.specs()
    if "plateau" not in _values(specs["lr_schedule"]):
        return []
    stop = config.training.early_stopping_patience
    patience = [int(v) for v in _values(specs["plateau_patience"])]
    if stop is None or min(patience) < int(stop):
        return []
    return [f"search.plateau_patience: {min(patience)} is not below "
            f"training.early_stopping_patience ({stop}): early stopping ends the trial before "
            f"the learning rate can drop"]
