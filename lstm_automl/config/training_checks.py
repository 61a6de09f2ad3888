"""Meaning checks of the optimisation keys: ``lr_schedule`` against early stopping, and the
``mape`` loss against the data's scaling (``validate`` and ``run`` share them)."""

from __future__ import annotations

from typing import Any

from lstm_automl.config.schema import spec_values


def _values(spec: Any) -> list[Any]:
    """Every value a spec can take (a range: its two ends, which is all the checks need)."""
    if hasattr(spec, "choice"):  # a searched data setting (NameChoice) too
        return list(spec.choice)
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


# Scalings and transforms that centre the target on 0, where a percentage error divides by
# values near zero and explodes.
ZERO_CENTRED_SCALINGS = ("standard", "robust")
ZERO_CENTRED_TRANSFORMS = ("diff", "log_diff", "seasonal_diff", "log_seasonal_diff")


def mape_checks(config: Any) -> tuple[list[str], list[str]]:
    """(problems, notes) of ``loss: mape``, which divides by the target as the model sees it
    (scaled): refused where the scaling or transform centres targets on 0; noted for minmax,
    which makes the training minimum exactly 0."""
    specs = config.search.specs()
    if "mape" not in _values(specs["loss"]) or config.data.task == "classify":
        return [], []
    data = config.data
    scalings = [str(v) for v in _values(getattr(data, "scaling", "none"))]
    bad = [s for s in scalings if s in ZERO_CENTRED_SCALINGS]
    if bad:
        return [f"search.loss: mape divides by the target, and data.scaling {bad[0]} centres "
                f"it on 0 (the loss is on the scaled series); use data.scaling: none with "
                f"mape"], []
    transforms = [str(v) for v in _values(getattr(data, "transform", None) or "none")]
    bad = [t for t in transforms if t in ZERO_CENTRED_TRANSFORMS]
    if bad:
        return [f"search.loss: mape divides by the target, and data.transform {bad[0]} makes it "
                f"a change around 0; use data.transform none or log with mape"], []
    if "minmax" in scalings:
        return [], ["search.loss: mape with data.scaling minmax: the training minimum scales "
                    "to 0, where the percentage error divides by Keras' epsilon and dominates "
                    "the loss; data.scaling: none avoids it"]
    return [], []
