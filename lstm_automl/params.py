"""The searchable hyperparameters: their domain, default and meaning, in one table.

The schema validates against it, ``validate`` summarises with it, and the search space is built
from it, so a new hyperparameter is added here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from lstm_automl.families import ACTIVATIONS, CELL_FAMILIES, LOSSES, OPTIMIZERS

Kind = Literal["int", "float", "bool", "name"]


@dataclass(frozen=True)
class Domain:
    """What values one hyperparameter may take."""

    kind: Kind
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = True
    low_inclusive: bool = True
    names: dict[str, str] | None = None
    nullable: bool = False
    per_layer: Literal["recurrent", "dense"] | None = None
    active_when: tuple[str, str] | None = None  # (structural param, "true" | ">0")

    def describe_allowed(self) -> str:
        """One phrase naming what is allowed, for error messages."""
        if self.kind == "name":
            assert self.names is not None
            return "one of: " + ", ".join(self.names)
        if self.kind == "bool":
            return "true or false"
        lo = "" if self.low is None else f"{'>=' if self.low_inclusive else '>'} {self.low:g}"
        hi = "" if self.high is None else f"{'<=' if self.high_inclusive else '<'} {self.high:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        noun = "an integer" if self.kind == "int" else "a number"
        text = f"{noun} {bounds}" if bounds else noun
        return text + (", or null" if self.nullable else "")


SEARCH_PARAMS: dict[str, Domain] = {
    "cell": Domain("name", "lstm", "recurrent cell family", names=CELL_FAMILIES),
    "bidirectional": Domain("bool", False, "wrap every recurrent layer in Bidirectional"),
    "layers": Domain("int", 1, "number of stacked recurrent layers", low=1, high=8),
    "units": Domain(
        "int", 32, "units of each recurrent layer", low=1, high=4096, per_layer="recurrent"
    ),
    "dropout": Domain(
        "float", 0.0, "input dropout of each recurrent layer", low=0.0, high=1.0,
        high_inclusive=False, per_layer="recurrent",
    ),
    "recurrent_dropout": Domain(
        "float", 0.0, "recurrent-state dropout (above 0 disables cuDNN on GPU)", low=0.0,
        high=1.0, high_inclusive=False, per_layer="recurrent",
    ),
    "conv_front": Domain("bool", False, "Conv1D feature extractor before the recurrent stack"),
    "conv_filters": Domain(
        "int", 32, "filters of the Conv1D front end", low=1, high=4096,
        active_when=("conv_front", "true"),
    ),
    "conv_kernel_size": Domain(
        "int", 3, "kernel size of the Conv1D front end", low=1, high=64,
        active_when=("conv_front", "true"),
    ),
    "dense_layers": Domain("int", 0, "hidden dense layers in the head", low=0, high=8),
    "dense_units": Domain(
        "int", 32, "units of each hidden dense layer", low=1, high=4096, per_layer="dense",
        active_when=("dense_layers", ">0"),
    ),
    "dense_activation": Domain(
        "name", "relu", "activation of the hidden dense layers", names=ACTIVATIONS,
        active_when=("dense_layers", ">0"),
    ),
    "learning_rate": Domain(
        "float", 1e-3, "optimizer learning rate", low=0.0, high=1.0, low_inclusive=False
    ),
    "optimizer": Domain("name", "adam", "optimizer", names=OPTIMIZERS),
    "loss": Domain("name", "mse", "training loss", names=LOSSES),
    "batch_size": Domain("int", 32, "training batch size", low=1, high=65536),
    "clipnorm": Domain(
        "float", None, "gradient clipping by global norm (null: none)", low=0.0,
        low_inclusive=False, nullable=True,
    ),
}

STRUCTURAL_PARAMS = ("layers", "dense_layers", "conv_front")


def check_value(domain: Domain, value: Any) -> str | None:
    """Return why ``value`` is outside ``domain``, or None when it fits."""
    if value is None:
        if domain.nullable:
            return None
        return f"null is not allowed; expected {domain.describe_allowed()}"
    if domain.kind == "bool":
        if isinstance(value, bool):
            return None
        return f"{value!r} is not allowed; expected true or false"
    if domain.kind == "name":
        assert domain.names is not None
        if isinstance(value, str) and value in domain.names:
            return None
        return f"{value!r} is not allowed; expected {domain.describe_allowed()}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not allowed; expected {domain.describe_allowed()}"
    if not math.isfinite(value):
        return f"{value!r} is not allowed; expected {domain.describe_allowed()}"
    if domain.kind == "int" and not isinstance(value, int):
        return f"{value!r} is not an integer; expected {domain.describe_allowed()}"
    if domain.low is not None and (
        value < domain.low or (value == domain.low and not domain.low_inclusive)
    ):
        return f"{value!r} is out of range; expected {domain.describe_allowed()}"
    if domain.high is not None and (
        value > domain.high or (value == domain.high and not domain.high_inclusive)
    ):
        return f"{value!r} is out of range; expected {domain.describe_allowed()}"
    return None
