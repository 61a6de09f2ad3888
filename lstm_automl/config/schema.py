"""The sweep file schema (pydantic v2). Light: importing it never imports TensorFlow.

A searchable value is written in keras-tuner's vocabulary:

* a plain value (``units: 32``) is fixed;
* ``{choice: [a, b, c]}`` picks one of the listed values (``[false, true]`` is a boolean);
* ``{int: [lo, hi], step: s, log: false}`` and ``{float: [lo, hi], step: null, log: false}``
  are ranges with both bounds included; ``log: true`` samples on a log scale (needs lo > 0);
* ``per_layer: true`` on a per-layer parameter (units, dropout, recurrent_dropout,
  layer_dropout, dense_units...: ``params.SEARCH_PARAMS``) samples one value for each layer, a
  value that exists only when its layer does;
* ``{per_layer: [spec, spec, ...]}`` gives each layer its own spec (first layer first), for
  spaces whose layers differ (``units: {per_layer: [{int: [64, 128], step: 32}, {int: [32,
  64], step: 16}]}``); the hyperparameters are named as with ``per_layer: true`` (``units_0``).
"""

from __future__ import annotations

import keyword
import math
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from lstm_automl.config.durations import FORM as DURATION_FORM
from lstm_automl.config.durations import parse_duration
from lstm_automl.config.names import TUNER_ALGORITHMS, did_you_mean
from lstm_automl.config.params import (
    LAYER_RATIO,
    SEARCH_PARAMS,
    SEED_MAX,
    TRAINING_SEARCH,
    WIDTH_PARAMS,
    Domain,
    check_value,
    ratio_params,
)
from lstm_automl.errors import SpecError

Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr, None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ChoiceSpec(_Strict):
    """Pick one of the listed values."""

    choice: list[Scalar] = Field(min_length=1, description="the values to choose from")
    per_layer: bool = Field(False, description="sample one value for each layer")


def _whole(value: Any) -> Any:
    """``2.0`` → ``2`` (an integer spelled as a float); anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class IntSpec(_Strict):
    """An integer range, both bounds included."""

    int_: tuple[StrictInt, StrictInt] = Field(alias="int", description="[min, max], inclusive")
    step: StrictInt = Field(1, ge=1, description="distance between values")
    log: bool = Field(False, description="sample on a log scale (min must be >= 1)")
    per_layer: bool = Field(False, description="sample one value for each layer")

    @field_validator("int_", "step", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        # {int: [8.0, 64]} means 8..64; 8.5 is refused here in the project's words, not pydantic's.
        values = [_whole(v) for v in value] if isinstance(value, (list, tuple)) else [_whole(value)]
        for v in values:
            if isinstance(v, float):
                raise SpecError("", f"{v!r} is not an integer; an int range takes whole numbers")
        return values if isinstance(value, (list, tuple)) else values[0]


class FloatSpec(_Strict):
    """A real range, both bounds included; continuous unless ``step`` is given."""

    float_: tuple[float, float] = Field(alias="float", description="[min, max], inclusive")
    step: float | None = Field(None, gt=0, description="make the range discrete")
    log: bool = Field(False, description="sample on a log scale (min must be > 0)")
    per_layer: bool = Field(False, description="sample one value for each layer")


_SPEC_KEYS = ("choice", "int", "float")


def _spec_kind(value: Any) -> str | None:
    if isinstance(value, (ChoiceSpec, IntSpec, FloatSpec)):
        return {ChoiceSpec: "choice", IntSpec: "int", FloatSpec: "float"}[type(value)]
    if isinstance(value, dict):
        found = [k for k in _SPEC_KEYS if k in value]
        return found[0] if len(found) == 1 else None
    if isinstance(value, list):
        return None
    return "fixed"


BaseSpec = Annotated[
    Union[
        Annotated[ChoiceSpec, Tag("choice")],
        Annotated[IntSpec, Tag("int")],
        Annotated[FloatSpec, Tag("float")],
        Annotated[Scalar, Tag("fixed")],
    ],
    Discriminator(
        _spec_kind,
        custom_error_type="param_spec",
        custom_error_message=(
            "expected a plain value or a mapping with exactly one of: choice, int, float"
        ),
    ),
]


class RatioSpec(_Strict):
    """Widths that follow from the first layer's: layer i gets ``first x ratio^i`` (rounded,
    at least 1). Only ``first`` and ``ratio`` are hyperparameters; the widths are derived, so
    a tuner never samples the width of a layer on its own."""

    first: BaseSpec = Field(description="the first layer's width, fixed or searched")
    ratio: BaseSpec = Field(
        0.5, description="each layer's width over the one before (0.5 halves, 1 keeps, "
        "2 doubles), fixed or searched")


class LayerSpecs(_Strict):
    """Each layer its own spec, first layer first: one entry (a plain value, a choice or a
    range) per layer a trial can have, as many as the most layers (a trial with fewer uses the
    first entries); the hyperparameters are named as with ``per_layer: true``."""

    per_layer: list[BaseSpec] = Field(
        min_length=1, description="one spec per layer, first layer first: a value, {choice: "
        "[...]}, {int: [lo, hi]} or {float: [lo, hi]}; as many as the most layers")


def layer_spec(spec: Any, index: int) -> Any:
    """Layer ``index``'s spec: its own entry of ``{per_layer: [...]}``, else ``spec`` itself."""
    return spec.per_layer[index] if isinstance(spec, LayerSpecs) else spec


def layer_parts(spec: Any) -> list[Any]:
    """The specs a per-layer spec is made of (every entry of ``{per_layer: [...]}``), else
    ``[spec]``: what the checks of bounds read."""
    return list(spec.per_layer) if isinstance(spec, LayerSpecs) else [spec]


class TiedSpec(_Strict):
    """A width that follows another (``dense_units: {same_as: units}``): derived, never sampled
    (``config/ties.py``)."""

    same_as: StrictStr = Field(description="the width to follow: units (the last recurrent "
                               "layer's), dense_units (the last dense layer's) or conv_filters")


def _param_kind(value: Any) -> str | None:
    if isinstance(value, LayerSpecs) or (
            isinstance(value, dict) and isinstance(value.get("per_layer"), list)
            and not any(k in value for k in _SPEC_KEYS)):
        return "layers"
    if isinstance(value, TiedSpec) or (isinstance(value, dict) and "same_as" in value):
        return "tied"
    if isinstance(value, RatioSpec) or (
            isinstance(value, dict) and ("first" in value or "ratio" in value)
            and not any(k in value for k in _SPEC_KEYS)):
        return "ratio"
    return _spec_kind(value)


ParamSpec = Annotated[
    Union[
        Annotated[ChoiceSpec, Tag("choice")],
        Annotated[IntSpec, Tag("int")],
        Annotated[FloatSpec, Tag("float")],
        Annotated[RatioSpec, Tag("ratio")],
        Annotated[TiedSpec, Tag("tied")],
        Annotated[LayerSpecs, Tag("layers")],
        Annotated[Scalar, Tag("fixed")],
    ],
    Discriminator(
        _param_kind,
        custom_error_type="param_spec",
        custom_error_message=(
            "expected a plain value or a mapping with exactly one of: choice, int, float "
            "(units and dense_units also take {first: ..., ratio: ...}, widths {same_as: ...}, "
            "per-layer values {per_layer: [one spec per layer]})"
        ),
    ),
]


def spec_values(spec: Any) -> list[Any] | None:
    """The finite list of values a spec can take, or None when it is continuous (a spec per
    layer: the values of any of its layers, each once, in order)."""
    if isinstance(spec, LayerSpecs):
        found: list[Any] = []
        for part in spec.per_layer:
            values = spec_values(part)
            if values is None:
                return None
            found += [v for v in values if not any(v == f and type(v) is type(f) for f in found)]
        return found
    if isinstance(spec, ChoiceSpec):
        return list(spec.choice)
    if isinstance(spec, IntSpec):
        lo, hi = spec.int_
        if spec.log and spec.step > 1:
            values, v = [], lo
            while v <= hi:
                values.append(v)
                v *= spec.step
            return values
        return list(range(lo, hi + 1, spec.step))
    if isinstance(spec, FloatSpec):
        if spec.step is None:
            return None
        low, high = spec.float_
        if spec.log:
            floats, x = [], low
            while x <= high * (1 + 1e-9):
                floats.append(x)
                x *= spec.step
            return floats
        count = int(math.floor((high - low) / spec.step + 1e-9)) + 1
        return [low + i * spec.step for i in range(count)]
    return [spec]


def _check_range(domain: Domain, lo: float, hi: float, log: bool, key: str) -> None:
    if lo > hi:
        raise SpecError(key, f"min must be <= max (got {lo:g} > {hi:g})")
    if log and lo <= 0:
        raise SpecError(key, f"log sampling needs min > 0 (got {lo:g})")
    for bound in (lo, hi):
        why = check_value(domain, bound)
        if why:
            raise SpecError(key, why)


def coerce_spec(name: str, spec: Any) -> Any:
    """``spec`` with its numbers in the type of hyperparameter ``name``.

    ``{choice: [0, 0.1]}`` for a float and ``2.0`` for an integer are what users write, but
    keras-tuner refuses a Choice that mixes int and float, and the summary, the sweep identity and
    the MLflow params would show 0 and 0.0 as different values. A float that is not a whole
    number stays as it is, for ``check_spec`` to refuse.
    """
    if isinstance(spec, RatioSpec):
        return spec.model_copy(update={"first": coerce_spec(name, spec.first),
                                       "ratio": _coerce(LAYER_RATIO.kind, spec.ratio)})
    if isinstance(spec, LayerSpecs):
        return spec.model_copy(update={"per_layer": [coerce_spec(name, part)
                                                     for part in spec.per_layer]})
    return _coerce(SEARCH_PARAMS[name].kind, spec)


def _coerce(kind: str, spec: Any) -> Any:
    if kind not in ("int", "float"):
        return spec

    def number(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return float(value) if kind == "float" else _whole(value)

    if isinstance(spec, ChoiceSpec):
        return spec.model_copy(update={"choice": [number(v) for v in spec.choice]})
    if isinstance(spec, (IntSpec, FloatSpec)):
        return spec  # their bounds are typed by the spec itself
    return number(spec)


def check_spec(name: str, spec: Any, domain: Domain | None = None) -> None:
    """Raise SpecError when ``spec`` does not fit the domain of hyperparameter ``name``
    (``domain``: another one than the table's, for the parts of a ratio spec)."""
    domain = domain or SEARCH_PARAMS[name]
    if isinstance(spec, RatioSpec):
        _check_ratio(name, spec, domain)
        return
    if isinstance(spec, TiedSpec):
        _check_tie(name, spec)
        return
    if isinstance(spec, LayerSpecs):
        _check_layers(name, spec, domain)
        return
    per_layer = getattr(spec, "per_layer", False)
    if per_layer and domain.per_layer is None:
        allowed = ", ".join(n for n, d in SEARCH_PARAMS.items() if d.per_layer)
        raise SpecError("per_layer", f"only {allowed} can be per layer")
    if isinstance(spec, ChoiceSpec):
        seen: list[Any] = []
        for value in spec.choice:
            why = check_value(domain, value)
            if why:
                raise SpecError("choice", why)
            if any(value == s and type(value) is type(s) for s in seen):
                raise SpecError("choice", f"{value!r} is listed twice")
            seen.append(value)
    elif isinstance(spec, IntSpec):
        if domain.kind != "int":
            allowed = domain.describe_allowed()
            raise SpecError("int", f"{name} is not an integer; expected {allowed}")
        _check_range(domain, *spec.int_, spec.log, "int")
        if spec.log and spec.step > 1 and spec.int_[0] < 1:
            raise SpecError("int", "log sampling with a step needs min >= 1")
    elif isinstance(spec, FloatSpec):
        if domain.kind != "float":
            hint = " (use int)" if domain.kind == "int" else ""
            raise SpecError("float", f"{name} takes {domain.describe_allowed()}{hint}")
        _check_range(domain, *spec.float_, spec.log, "float")
        if spec.log and spec.step is not None and spec.step <= 1:
            raise SpecError("step", "with log: true, step is a factor and must be > 1")
    else:
        why = check_value(domain, spec)
        if why:
            raise SpecError("", why)


def _check_ratio(name: str, spec: RatioSpec, domain: Domain) -> None:
    allowed = ratio_params()
    if name not in allowed:
        raise SpecError("first", f"only {', '.join(allowed)} take {{first: ..., ratio: ...}}")
    for part, part_domain in (("first", domain), ("ratio", LAYER_RATIO)):
        value = getattr(spec, part)
        if getattr(value, "per_layer", False):
            raise SpecError(f"{part}.per_layer", "the widths follow the ratio, so nothing "
                                                 "in {first, ratio} is per layer")
        try:
            check_spec(name, value, part_domain)
        except SpecError as exc:
            sub = f"{part}.{exc.subpath}" if exc.subpath else part
            raise SpecError(sub, str(exc)) from None


def _check_layers(name: str, spec: LayerSpecs, domain: Domain) -> None:
    """Each entry fits the domain; only per-layer params take them, and an entry is one
    layer's spec (its length against the layers: ``space_checks.layer_spec_problems``)."""
    if domain.per_layer is None:
        allowed = ", ".join(n for n, d in SEARCH_PARAMS.items() if d.per_layer)
        raise SpecError("per_layer", f"only {allowed} can be per layer")
    for index, part in enumerate(spec.per_layer):
        if getattr(part, "per_layer", False):
            raise SpecError(f"per_layer.{index}.per_layer", "an entry is already one layer's "
                                                           "spec; leave per_layer out of it")
        try:
            check_spec(name, part, domain)
        except SpecError as exc:
            sub = f"per_layer.{index}.{exc.subpath}" if exc.subpath else f"per_layer.{index}"
            raise SpecError(sub, str(exc)) from None


def _check_tie(name: str, spec: TiedSpec) -> None:
    """Only a width ties, and only to another width (cycles: ``ties.tie_problems``)."""
    widths = ", ".join(WIDTH_PARAMS)
    if name not in WIDTH_PARAMS:
        raise SpecError("same_as", f"only the widths {widths} take {{same_as: ...}}")
    others = [w for w in WIDTH_PARAMS if w != name]
    if spec.same_as == name:
        raise SpecError("same_as", f"{name} cannot follow itself; expected one of: "
                                   f"{', '.join(others)}")
    if spec.same_as not in others:
        kind = "not a width" if spec.same_as in SEARCH_PARAMS else "unknown"
        raise SpecError("same_as", f"{spec.same_as!r} is {kind}; expected one of: "
                                   f"{', '.join(others)}")


def _param(name: str) -> Any:
    """Default and help text come from the one table in ``params``."""
    domain = SEARCH_PARAMS[name]
    return Field(domain.default, description=domain.help)


class SearchConfig(_Strict):
    """The search space: each hyperparameter fixed or searched (docs/sweep-file.md)."""

    cell: ParamSpec = _param("cell")
    bidirectional: ParamSpec = _param("bidirectional")
    layers: ParamSpec = _param("layers")
    units: ParamSpec = _param("units")
    dropout: ParamSpec = _param("dropout")
    recurrent_dropout: ParamSpec = _param("recurrent_dropout")
    conv_front: ParamSpec = _param("conv_front")
    conv_filters: ParamSpec = _param("conv_filters")
    conv_kernel_size: ParamSpec = _param("conv_kernel_size")
    conv_block: ParamSpec = _param("conv_block")
    conv_dropout: ParamSpec = _param("conv_dropout")
    dense_layers: ParamSpec = _param("dense_layers")
    dense_units: ParamSpec = _param("dense_units")
    dense_activation: ParamSpec = _param("dense_activation")
    learning_rate: ParamSpec = _param("learning_rate")
    optimizer: ParamSpec = _param("optimizer")
    loss: ParamSpec = _param("loss")
    batch_size: ParamSpec = _param("batch_size")
    clipnorm: ParamSpec = _param("clipnorm")
    window_norm: ParamSpec = _param("window_norm")
    residual: ParamSpec = _param("residual")
    multi_step: ParamSpec = _param("multi_step")
    layer_dropout: ParamSpec = _param("layer_dropout")
    stack_dropout: ParamSpec = _param("stack_dropout")
    dense_dropout: ParamSpec = _param("dense_dropout")
    norm: ParamSpec = _param("norm")
    kernel_initializer: ParamSpec = _param("kernel_initializer")
    momentum: ParamSpec = _param("momentum")
    l2: ParamSpec = _param("l2")
    recurrent_l2: ParamSpec = _param("recurrent_l2")
    weight_decay: ParamSpec = _param("weight_decay")
    lr_schedule: ParamSpec = _param("lr_schedule")
    plateau_factor: ParamSpec = _param("plateau_factor")
    plateau_patience: ParamSpec = _param("plateau_patience")
    activation: ParamSpec = _param("activation")
    fcn_branch: ParamSpec = _param("fcn_branch")
    fcn_filters: ParamSpec = _param("fcn_filters")
    dimension_shuffle: ParamSpec = _param("dimension_shuffle")
    batch_norm_between: ParamSpec = _param("batch_norm_between")
    output_activation: ParamSpec = _param("output_activation")
    output_bias: ParamSpec = _param("output_bias")
    embedding_dim: ParamSpec = _param("embedding_dim")
    vocab_size: ParamSpec = _param("vocab_size")

    @field_validator("*", mode="after")
    @classmethod
    def _fits_domain(cls, value: Any, info: ValidationInfo) -> Any:
        assert info.field_name is not None
        value = coerce_spec(info.field_name, value)
        check_spec(info.field_name, value)
        return value

    def specs(self) -> dict[str, Any]:
        """Each hyperparameter name with its parsed spec (plain values stay plain)."""
        return {name: getattr(self, name) for name in SEARCH_PARAMS}


CountOrFraction = Union[
    Annotated[StrictInt, Field(ge=1)], Annotated[float, Field(gt=0, lt=1)], StrictStr
]


class SplitConfig(_Strict):
    """Chronological split: the last ``test`` part is held out, ``validation`` comes before."""

    validation: CountOrFraction = Field(
        0.15, description="rows (integer), fraction, or (forecast) the first time value of the "
        "validation part, e.g. '1957-01'"
    )
    test: CountOrFraction | None = Field(
        None, description="last rows (integer), fraction, or (forecast) the first time value of "
        "the test part; default: the dataset's published holdout for builtin data, else 0.15"
    )


class GenerateConfig(_Strict):
    """Parameters of a synthetic benchmark (``source: generate:adding`` or ``generate:copy``)."""

    length: StrictInt = Field(100, ge=2, le=10_000, description="sequence length T")
    samples: StrictInt = Field(2000, ge=10, le=1_000_000, description="number of sequences")
    seed: StrictInt | None = Field(None, ge=0, le=SEED_MAX,
                                   description="data seed (default: the sweep seed)")


class _DataBase(_Strict):
    source: StrictStr = Field(
        description="builtin:NAME, generate:adding|copy, or a CSV/Parquet/.npz path relative to "
        "the sweep file"
    )
    split: SplitConfig = Field(default_factory=SplitConfig)
    scaling: Literal["standard", "minmax", "robust", "none"] = Field(
        "standard", description="scaling fitted on the training split only"
    )
    fill: Literal["none", "ffill", "interpolate"] = Field(
        "none", description="missing values: refuse (none), carry the last value forward, or "
        "interpolate linearly"
    )
    generate: GenerateConfig | None = Field(None, description="for generate: sources")


TRANSFORM_NAMES = ("none", "log", "diff", "log_diff", "seasonal_diff", "log_seasonal_diff")
SCALING_NAMES = ("standard", "minmax", "robust", "none")
# The data settings a sweep may search, per kind of task (each trial gets the variant its values
# name, see data/variants.py); SEARCHABLE_DATA is every one of them, for messages.
FORECAST_SEARCHABLE = ("lookback", "transform", "scaling", "features", "calendar", "seasonal_lag")
SEQUENCE_SEARCHABLE = ("window", "scaling", "features", "kmer")
SEARCHABLE_DATA = ("lookback", "transform", "scaling", "features", "window", "calendar",
                   "seasonal_lag", "kmer")
TOKEN_MODES = ("word", "char", "kmer")  # data/tokens.py splits texts so
MAX_TEXT_LENGTH = 10_000  # tokens per text at most, whatever data.max_length says
DEFAULT_LENGTH_CAP = 400  # the default max_length never exceeds this
CALENDAR_NAMES = ("none", "auto")  # data/calendar.py derives the channels
SEASONAL_LAG_NAMES = ("none", "season")


class NameChoice(_Strict):
    """A searched data setting: ``{choice: [a, b]}``."""

    choice: list[StrictStr] = Field(min_length=1)

    def values(self) -> list[Any]:
        return list(self.choice)


class IntChoice(_Strict):
    """A searched integer data setting: ``{choice: [12, 24]}``."""

    choice: list[Annotated[StrictInt, Field(ge=1)]] = Field(min_length=1)

    def values(self) -> list[Any]:
        return list(self.choice)


class IntRange(_Strict):
    """A searched integer data setting as a range: ``{int: [30, 150], step: 10}`` (both ends
    included); every value is a data variant, prepared before the first trial."""

    int_: tuple[Annotated[StrictInt, Field(ge=1)], Annotated[StrictInt, Field(ge=1)]] = Field(
        alias="int", description="[min, max], inclusive")
    step: StrictInt = Field(1, ge=1, description="distance between values")

    @field_validator("int_", mode="after")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise SpecError("", f"min must be <= max (got {value[0]} > {value[1]})")
        return value

    def values(self) -> list[Any]:
        return list(range(self.int_[0], self.int_[1] + 1, self.step))


class HorizonMultiples(_Strict):
    """A lookback searched relative to the horizon: ``{multiple_of_horizon: [2, 4, 8]}``."""

    multiple_of_horizon: list[Annotated[StrictInt, Field(ge=1)]] = Field(
        min_length=1, description="lookback = each factor x data.horizon")


class FeatureChoice(_Strict):
    """A searched subset of input columns: ``{choice: [[a], [a, b]]}``."""

    choice: list[list[StrictStr]] = Field(min_length=1)

    def values(self) -> list[Any]:
        return list(self.choice)


DATA_SEARCHES = (NameChoice, IntChoice, IntRange, HorizonMultiples, FeatureChoice)
_INT_SEARCH_TAGS = {"choice": "by_choice", "int": "by_int", "multiple_of_horizon": "by_horizon"}


def _int_search_kind(value: Any) -> str | None:
    """Which form a searchable integer data setting takes, so that pydantic reports the errors
    of that form only (not one per member of the union)."""
    if isinstance(value, dict):
        found = [tag for key, tag in _INT_SEARCH_TAGS.items() if key in value]
        return found[0] if len(found) == 1 else None
    for model, tag in ((IntChoice, "by_choice"), (IntRange, "by_int"),
                       (HorizonMultiples, "by_horizon")):
        if isinstance(value, model):
            return tag
    return "fixed"


_PositiveInt = Annotated[StrictInt, Field(ge=1)]
# A searchable integer data setting: a plain integer or one of the mapping forms, each form
# reporting its own errors only.
LookbackSearch = Annotated[
    Union[
        Annotated[_PositiveInt, Tag("fixed")],
        Annotated[IntChoice, Tag("by_choice")],
        Annotated[IntRange, Tag("by_int")],
        Annotated[HorizonMultiples, Tag("by_horizon")],
    ],
    Discriminator(_int_search_kind, custom_error_type="data_search", custom_error_message=(
        "expected an integer or a mapping with exactly one of: choice, int, multiple_of_horizon")),
]
WindowSearch = Annotated[
    Union[
        Annotated[Union[_PositiveInt, None], Tag("fixed")],
        Annotated[IntChoice, Tag("by_choice")],
        Annotated[IntRange, Tag("by_int")],
    ],
    Discriminator(_int_search_kind, custom_error_type="data_search", custom_error_message=(
        "expected an integer, null or a mapping with exactly one of: choice, int")),
]


class _SearchesData(_Strict):
    """What a data section whose settings may be searched offers the variants."""

    SEARCHABLE: ClassVar[tuple[str, ...]] = ()

    def searched_data(self) -> dict[str, list[Any]]:
        """The data settings this sweep searches, each with its candidate values."""
        found: dict[str, list[Any]] = {}
        for name in self.SEARCHABLE:
            value = getattr(self, name)
            if isinstance(value, HorizonMultiples):
                horizon = int(getattr(self, "horizon", 1))  # only forecasting has multiples
                found[name] = [m * horizon for m in value.multiple_of_horizon]
            elif isinstance(value, (NameChoice, IntChoice, IntRange, FeatureChoice)):
                found[name] = value.values()
        return found

    def variant(self, **values: Any) -> Any:
        """This config with searched settings replaced by concrete ``values`` (defaults: first)."""
        update = {name: values.get(name, choices[0])
                  for name, choices in self.searched_data().items()}
        return self.model_copy(update=update)

    def setting(self, name: str) -> Any:
        """The value of a searched data setting by its name in ``searched_data`` (a dotted name
        such as ``label_from.horizon`` reads a nested key)."""
        value: Any = self
        for part in name.split("."):
            value = getattr(value, part)
        return value


class BacktestConfig(_Strict):
    """Rolling-origin (expanding window) validation: several origins, scores averaged.

    The last fold is the ordinary train/validation split; each earlier fold moves the origin
    ``step`` rows back and validates on the ``validation`` rows after it. The test split is
    never part of any fold.
    """

    folds: StrictInt = Field(
        3, ge=2, le=20, description="validation origins (2..20), the ordinary split included"
    )
    step: StrictInt | None = Field(
        None, ge=1, description="rows each earlier origin moves back (default: the validation "
        "length, so validation parts do not overlap)"
    )


class ForecastDataConfig(_DataBase, _SearchesData):
    """Forecast the next ``horizon`` values of a series from the last ``lookback`` rows.

    ``lookback``, ``transform``, ``scaling`` and ``features`` may be searched with
    ``{choice: [...]}`` (``lookback`` also with ``{int: [lo, hi], step: s}`` or
    ``{multiple_of_horizon: [...]}``); each trial then gets the data variant its values name.
    """

    SEARCHABLE: ClassVar[tuple[str, ...]] = FORECAST_SEARCHABLE

    task: Literal["forecast"] = Field("forecast", description="what the model predicts")
    target: StrictStr | Annotated[list[StrictStr], Field(
            min_length=1, json_schema_extra={"uniqueItems": True})] | None = Field(
        None, description="column to forecast, or a list of columns forecast together "
        "(default: builtin's)")
    features: list[StrictStr] | FeatureChoice | None = Field(
        None, description="input columns (default: the target alone); {choice: [[a], [a, b]]} "
        "searches subsets"
    )
    time_column: StrictStr | None = Field(
        None, description="column that orders the rows (default: builtin's, else file order)"
    )
    time_format: StrictStr | None = Field(
        None, description="strftime format of the time column, e.g. '%m/%d/%Y' (default: "
        "numbers and ISO dates such as 1949-01, 1949-01-31, 1949-01-31 14:00)"
    )
    lookback: LookbackSearch = Field(
        12, description="past steps the model sees; searched with {choice: [12, 24]}, "
        "{int: [12, 48], step: 12} or {multiple_of_horizon: [2, 4]}"
    )
    horizon: StrictInt = Field(1, ge=1, description="future steps predicted at once")
    transform: Literal[TRANSFORM_NAMES] | NameChoice = Field(  # type: ignore[valid-type]
        "none", description="target transform before scaling: log, first differences (diff), "
        "seasonal differences (needs a season), or log then differences; forecasts and metrics "
        "are mapped back to original units"
    )
    season: StrictInt | None = Field(
        None, ge=2, description="season length for the seasonal-naive baseline (default: the "
        "builtin's, else from the time column's spacing: monthly 12, quarterly 4, weekly 52, "
        "daily 7, hourly 24, n-minute the daily cycle; none for numbers or yearly times)"
    )
    scaling: Literal[SCALING_NAMES] | NameChoice = Field(  # type: ignore[valid-type, assignment]
        "standard", description="scaling fitted on the training split only; {choice: [...]} "
        "searches it"
    )
    calendar: Literal[CALENDAR_NAMES] | NameChoice = Field(  # type: ignore[valid-type]
        "none", description="calendar inputs from the time column (dates only): auto adds, as "
        "sin/cos channels, the cycles its frequency shows (monthly: month; quarterly: quarter; "
        "weekly: week of year; daily: day of week and month; hourly: hour and day of week; "
        "minutes: time of day and day of week); {choice: [none, auto]} searches it"
    )
    seasonal_lag: Literal[SEASONAL_LAG_NAMES] | NameChoice = Field(  # type: ignore[valid-type]
        "none", description="season: each input step also gets the target one season earlier "
        "(data.season, or the time column's); the model then reads season more rows of "
        "history; {choice: [none, season]} searches it"
    )

    backtest: BacktestConfig | None = Field(
        None, description="rolling-origin backtesting, e.g. {folds: 3, step: 12}; makes the "
        "backtest_val_* objectives available (averaged over the folds)"
    )

    @model_serializer(mode="wrap")
    def _omit_unset_backtest(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Sweeps without backtesting or a time format keep the identity (resume hash) they had
        # before these keys existed.
        dumped: dict[str, Any] = handler(self)
        for key in ("backtest", "time_format"):
            if dumped.get(key, 0) is None:
                dumped.pop(key)
        for key in ("calendar", "seasonal_lag"):  # likewise sweeps without these inputs
            if dumped.get(key) == "none":
                dumped.pop(key)
        if dumped.get("scorer") == "forecast":  # and detectors that forecast (task: detect)
            dumped.pop("scorer")
        return dumped

    @field_validator("time_format", mode="after")
    @classmethod
    def _time_format(cls, value: str | None) -> str | None:
        if value is not None:
            check_time_format(value)
        return value

    @field_validator("transform", "scaling", "calendar", "seasonal_lag", mode="after")
    @classmethod
    def _known_names(cls, value: Any, info: ValidationInfo) -> Any:
        allowed = {"transform": TRANSFORM_NAMES, "calendar": CALENDAR_NAMES,
                   "seasonal_lag": SEASONAL_LAG_NAMES}.get(str(info.field_name), SCALING_NAMES)
        return _known(value, allowed)

    @field_validator("target", mode="after")
    @classmethod
    def _distinct_targets(cls, value: Any) -> Any:
        if isinstance(value, list):
            repeated = sorted({name for name in value if value.count(name) > 1})
            if repeated:
                raise SpecError("", f"{', '.join(map(repr, repeated))} is listed twice; each "
                                    f"target column once")
        return value


THRESHOLD_RULES = ("best_f1", "quantile")
TRAINING_ANOMALIES = ("drop", "keep")
SCORERS = ("forecast", "autoencoder")


class DetectDataConfig(ForecastDataConfig):
    """Flag anomalous steps of a series: a one-step forecaster scored by its absolute error, or
    a sequence autoencoder scored by its reconstruction error (``scorer``).

    ``label`` holds the 0/1 anomaly flags; they choose the threshold on the validation split and
    score the test split, and are never an input of the model.
    """

    task: Literal["detect"] = Field(  # type: ignore[assignment]
        description="what the model predicts")
    label: StrictStr | None = Field(
        None, description="column of 0/1 anomaly flags (default: the builtin's); used to choose "
        "the threshold on validation and to score the test split, never as an input")
    threshold: Literal[THRESHOLD_RULES] = Field(  # type: ignore[valid-type]
        "best_f1", description="best_f1: the score threshold with the highest point F1 on the "
        "validation labels (the quantile rule when validation has no anomaly); quantile: the "
        "threshold_quantile of the validation scores")
    threshold_quantile: float = Field(
        0.99, gt=0.5, lt=1.0, description="quantile of the validation scores used by "
        "threshold: quantile, and as the fallback of best_f1")
    training_anomalies: Literal[TRAINING_ANOMALIES] = Field(  # type: ignore[valid-type]
        "drop", description="drop: training windows whose target step is labelled anomalous "
        "are left out of the loss; keep: trained on like any other")
    scorer: Literal[SCORERS] = Field(  # type: ignore[valid-type]
        "forecast", description="forecast: a one-step forecaster, a step's score is its "
        "absolute forecast error in original units; autoencoder: the recurrent encoder reads a "
        "window of lookback steps and a recurrent decoder rebuilds it, a step's score is its "
        "mean absolute reconstruction error (scaled units) over the windows that cover it")

    @model_validator(mode="after")
    def _one_step_one_target(self) -> DetectDataConfig:
        if self.horizon != 1:
            raise SpecError("horizon", f"task: detect scores one-step forecasts; must be 1 "
                                       f"(got {self.horizon})")
        if isinstance(self.target, list) and len(self.target) > 1:
            raise SpecError("target", "task: detect scores one series; give one column")
        if self.backtest is not None:
            raise SpecError("backtest", "not available for task: detect (the threshold is "
                                        "chosen on the one validation split)")
        subsets = self.features.choice if isinstance(self.features, FeatureChoice) else \
            [self.features or []]
        if self.label is not None and any(self.label in subset for subset in subsets):
            raise SpecError("features", f"{self.label!r} is the label column (data.label); the "
                                        f"labels are never an input")
        if self.scorer == "autoencoder":
            for key in ("calendar", "seasonal_lag", "transform"):
                if getattr(self, key) != "none":
                    raise SpecError(key, "not used by scorer: autoencoder, which rebuilds the "
                                         "scaled series' own channels (allowed: none)")
        return self


def check_time_format(value: str) -> None:
    """A strftime format that reads back a date with its year: SpecError otherwise."""
    import re
    from datetime import datetime

    if "%" not in value:
        raise SpecError("", f"{value!r} has no % directive; give a strftime format such as "
                            f"'%m/%d/%Y' or '%d.%m.%Y %H:%M'")
    sample = datetime(2001, 11, 23, 14, 35, 46)
    try:
        back = datetime.strptime(sample.strftime(value), value)
    except (ValueError, re.error) as exc:  # strptime compiles the format to a pattern
        raise SpecError("", f"{value!r} is not a usable strftime format ({exc})") from None
    if back.year != sample.year:
        raise SpecError("", f"{value!r} has no year (%Y or %y): times without one cannot be "
                            f"ordered")


def _known(value: Any, allowed: tuple[str, ...]) -> Any:
    """A searched name setting lists only allowed names."""
    if isinstance(value, NameChoice):
        for name in value.choice:
            if name not in allowed:
                hint = did_you_mean(name, allowed)
                raise SpecError("choice", f"{name!r} is not allowed{hint or ';'} expected one of: "
                                          f"{', '.join(allowed)}")
    return value


class _SequenceDataBase(_DataBase, _SearchesData):
    SEARCHABLE: ClassVar[tuple[str, ...]] = SEQUENCE_SEARCHABLE

    layout: Literal["wide", "long"] | None = Field(
        None, description="wide: one row per sequence (label/target column + one column per "
        "step); long: one row per time step with case_column, time_column and features"
    )
    case_column: StrictStr | None = Field(None, description="long layout: the sequence id column")
    time_column: StrictStr | None = Field(None, description="long layout: orders steps in a case")
    features: list[StrictStr] | FeatureChoice | None = Field(
        None, description="input channels by name (long layout: columns; default: every other "
        "numeric column); {choice: [[a], [a, b]]} searches subsets"
    )
    scaling: Literal[SCALING_NAMES] | NameChoice = Field(  # type: ignore[valid-type, assignment]
        "standard", description="per-channel scaling fitted on the training sequences only; "
        "{choice: [...]} searches it"
    )
    window: WindowSearch = Field(
        None, description="cut each sequence into windows of this many steps, each labelled "
        "with its sequence's label (sequences split first, so no case is in two splits); "
        "searched with {choice: [32, 64]} or {int: [32, 128], step: 32}; null: whole sequences"
    )
    window_step: StrictInt | None = Field(
        None, ge=1, description="steps between the starts of two windows (default: the window "
        "length, so windows do not overlap)"
    )
    text: StrictStr | None = Field(
        None, description="the column holding one text per row: the input becomes token ids of "
        "a vocabulary learned on the training split, embedded before the recurrent stack"
    )
    tokens: Literal[TOKEN_MODES] = Field(  # type: ignore[valid-type]
        "word", description="with data.text: word (lower-cased, split on non-letters; with "
        "task: label split on whitespace only, kept as written, one tag per token), char "
        "(each character a token) or kmer (every overlapping run of data.kmer characters)"
    )
    kmer: WindowSearch = Field(
        None, description="with data.tokens: kmer: k, the characters in each token (overlapping "
        "k-mers as written: GAUC with k 3 is GAU, AUC; a text shorter than k is one token); "
        "searched with {choice: [3, 4, 5]} or {int: [3, 5]}, each k its own vocabulary"
    )
    max_length: StrictInt | None = Field(
        None, ge=1, le=MAX_TEXT_LENGTH, description="with data.text: tokens kept per text, "
        "longer texts truncated, shorter padded (default: the 95th percentile of the training "
        f"texts' lengths, with task: label the longest training text; at most "
        f"{DEFAULT_LENGTH_CAP})"
    )

    @field_validator("scaling", mode="after")
    @classmethod
    def _known_scaling(cls, value: Any) -> Any:
        return _known(value, SCALING_NAMES)

    @model_serializer(mode="wrap")
    def _omit_unset_window(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Sweeps without windows keep the identity (resume hash) they had before they existed.
        dumped: dict[str, Any] = handler(self)
        for key in ("window", "window_step", "text", "max_length", "kmer", LABEL_FROM):
            if dumped.get(key, 0) is None:
                dumped.pop(key)
        if "text" not in dumped:  # nor before text inputs existed
            dumped.pop("tokens", None)
        return dumped


LABEL_REFERENCES = ("past_mean", "last")
LABEL_CHANGES = ("relative", "difference")
FORWARD_CLASSES = ("down", "flat", "up")  # data/forward_labels.py encodes them 0, 1, 2
LABEL_FROM = "label_from"  # searched_data names its searched keys label_from.lookback, ...
# A searchable integer of label_from: a plain integer, {choice: [...]} or {int: [lo, hi]}.
StepsSearch = Annotated[
    Union[
        Annotated[_PositiveInt, Tag("fixed")],
        Annotated[IntChoice, Tag("by_choice")],
        Annotated[IntRange, Tag("by_int")],
    ],
    Discriminator(_int_search_kind, custom_error_type="data_search", custom_error_message=(
        "expected an integer >= 1 or a mapping with exactly one of: choice, int")),
]


class LabelFromConfig(_Strict):
    """Classes built from a series by a forward window and a threshold (order-book up / flat /
    down labelling, as in DeepLOB and LOBCAST): the window of ``lookback`` rows ending at row t
    gets the class of l_t = (m+ - m-) / m-, m+ the mean of the ``horizon`` rows after t, m- the
    mean of the ``horizon`` rows ending at t (``past_mean``) or the value at t (``last``):
    up if l_t > threshold, down if l_t < -threshold, else flat."""

    column: StrictStr = Field(description="the series the classes are built from (a numeric "
                              "column; the default input channel too)")
    lookback: StepsSearch = Field(
        32, description="rows each window reads, ending at the labelled row; searched with "
        "{choice: [16, 32]} or {int: [16, 64], step: 16}")
    horizon: StepsSearch = Field(
        10, description="rows after the labelled row whose mean is the forward value m+ (and, "
        "with reference past_mean, rows up to it whose mean is m-); searchable like lookback")
    threshold: float = Field(
        ge=0, allow_inf_nan=False, description="alpha: up where the move exceeds it, down "
        "where it is below -alpha, flat between (a fraction for change: relative, units of the "
        "column for difference)")
    reference: Literal[LABEL_REFERENCES] = Field(  # type: ignore[valid-type]
        "past_mean", description="m-: past_mean, the mean of the horizon rows ending at the "
        "labelled row; last, the labelled row's own value")
    change: Literal[LABEL_CHANGES] = Field(  # type: ignore[valid-type]
        "relative", description="relative: (m+ - m-) / m-, which needs m- > 0; difference: "
        "m+ - m- in the column's units (a series that reaches 0)")


class ClassifyDataConfig(_SequenceDataBase):
    """Assign one label to each whole sequence, or (``label_from``) to each window of a series:
    the class of the series' move after it."""

    task: Literal["classify"] = Field(description="what the model predicts")
    label: StrictStr | None = Field(None, description="label column (default: builtin's, else "
                                    "'label')")
    class_weight: Literal["none", "balanced"] = Field(
        "none", description="balanced: weight classes inversely to their training frequency"
    )
    label_from: LabelFromConfig | None = Field(
        None, description="read a series (time_column orders its rows, features are the inputs; "
        "default: the column) and label each window of lookback rows by the move over the next "
        "horizon rows: {column: price, lookback: 32, horizon: 10, threshold: 0.002, reference: "
        "past_mean}; splits in time order, a gap of horizon rows between them")

    def searched_data(self) -> dict[str, list[Any]]:
        found = super().searched_data()
        if self.label_from is not None:
            for name in ("lookback", "horizon"):
                value = getattr(self.label_from, name)
                if isinstance(value, (IntChoice, IntRange)):
                    found[f"{LABEL_FROM}.{name}"] = value.values()
        return found

    def variant(self, **values: Any) -> Any:
        update: dict[str, Any] = {}
        nested: dict[str, Any] = {}
        for name, choices in self.searched_data().items():
            value = values.get(name, choices[0])
            if name.startswith(LABEL_FROM + "."):
                nested[name.split(".", 1)[1]] = value
            else:
                update[name] = value
        if nested:
            assert self.label_from is not None
            update[LABEL_FROM] = self.label_from.model_copy(update=nested)
        return self.model_copy(update=update)


class RegressDataConfig(_SequenceDataBase):
    """Predict one number for each whole sequence (the adding problem is one)."""

    task: Literal["regress"] = Field(description="what the model predicts")
    target: StrictStr | None = Field(None, description="target column (default: 'target')")


class LabelDataConfig(_SequenceDataBase):
    """Assign one label to every step of a sequence (an activity per time step, a tag per
    position): long layout (one row per step), an ``.npz`` whose ``y`` is samples x steps, or a
    generator."""

    task: Literal["label"] = Field(description="what the model predicts")
    label: StrictStr | None = Field(None, description="the per-step label column of a long "
                                    "table (default: 'label'); its value may change from step "
                                    "to step. With data.text: the tags column, one tag per "
                                    "token separated by spaces")


TASKS = ("forecast", "classify", "regress", "label", "detect")


def _task_of(value: Any) -> str | None:
    if isinstance(value, dict):
        task = value.get("task", "forecast")
        return task if task in TASKS else None
    # Not a mapping: let the forecast model report "should be a valid dictionary".
    return getattr(value, "task", "forecast")


DataConfig = Annotated[
    Union[
        Annotated[ForecastDataConfig, Tag("forecast")],
        Annotated[ClassifyDataConfig, Tag("classify")],
        Annotated[RegressDataConfig, Tag("regress")],
        Annotated[LabelDataConfig, Tag("label")],
        Annotated[DetectDataConfig, Tag("detect")],
    ],
    Discriminator(
        _task_of, custom_error_type="task",
        custom_error_message="data.task must be one of: forecast, classify, regress, label, "
        "detect",
    ),
]


PRUNING_RULES: dict[str, str] = {
    "none": "every trial trains until its epochs or its early stopping end it",
    "median": "stop a trial whose best value so far is worse than the median of the finished "
    "trials at the same epoch",
    "asha": "asynchronous successive halving: at rungs min_epochs x reduction_factor^k, keep "
    "only the best 1/reduction_factor of the trials that reached the rung",
}


def _pruning_shorthand(value: Any) -> Any:
    """``pruning: median`` means ``pruning: {rule: median}`` with the default knobs."""
    if isinstance(value, str):
        if value not in PRUNING_RULES:
            raise ValueError(f"expected one of: {', '.join(PRUNING_RULES)}, or a mapping "
                             f"{{rule: median, min_epochs: 2, min_trials: 3}}"
                             f"{did_you_mean(value, PRUNING_RULES)}")
        return {"rule": value}
    return value


class PruningConfig(_Strict):
    """Stop clearly losing trials early (``tuner.pruning``); a pruned trial keeps the best
    score it reached, which the tuner learns from."""

    rule: Literal[tuple(PRUNING_RULES)] = Field(  # type: ignore[valid-type]
        "none", description="; ".join(f"{k}: {v}" for k, v in PRUNING_RULES.items()))
    min_epochs: StrictInt = Field(
        2, ge=1, description="warm-up: no trial is pruned before it trained this many epochs "
        "(asha: the first rung)")
    min_trials: StrictInt = Field(
        3, ge=1, description="median: finished trials needed at an epoch before any trial is "
        "compared with them; asha: other trials that must have reached a rung before it cuts")
    reduction_factor: StrictInt = Field(
        3, ge=2, description="asha: rungs at min_epochs x factor^k; the best 1/factor go on")

    @property
    def enabled(self) -> bool:
        return self.rule != "none"


Pruning = Annotated[PruningConfig, BeforeValidator(
    _pruning_shorthand, json_schema_input_type=Union[
        Literal[tuple(PRUNING_RULES)], PruningConfig])]  # type: ignore[valid-type]


def _duration(value: Any) -> Any:
    parse_duration(value)  # raises ValueError naming the accepted form
    return value


def _plain_number(value: Any) -> Any:
    """A number as written (``'0.1'`` and ``true`` are not): what an editor's schema says."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                         and math.isfinite(value)):
        return value
    raise ValueError("expected a finite number")


Number = Annotated[float, BeforeValidator(_plain_number, json_schema_input_type=float)]

Duration = Annotated[Union[StrictStr, StrictInt, StrictFloat], AfterValidator(_duration)]


class TunerConfig(_Strict):
    """How keras-tuner searches."""

    algorithm: Literal[tuple(TUNER_ALGORITHMS)] = Field(  # type: ignore[valid-type]
        "random", description="; ".join(f"{k}: {v}" for k, v in TUNER_ALGORITHMS.items())
    )
    max_trials: StrictInt = Field(10, ge=1, description="trials to run (hyperband: ignored)")
    objective: StrictStr = Field("val_loss", description="metric to optimise")
    direction: Literal["min", "max"] | None = Field(
        None, description="default: max for accuracy-like metrics, else min"
    )
    executions_per_trial: StrictInt = Field(1, ge=1, description="fits per trial, averaged")
    max_consecutive_failures: StrictInt = Field(
        3, ge=1, description="stop the sweep after this many failed trials in a row"
    )
    hyperband_factor: StrictInt = Field(3, ge=2, description="hyperband's reduction factor")
    hyperband_iterations: StrictInt = Field(
        1, ge=1, description="hyperband: how many times the whole algorithm runs (each with "
        "fresh brackets); the trials multiply by it"
    )
    grid_order: Literal["sequential", "even", "random"] = Field(
        "sequential", description="grid: the order cells are tried in when the grid has more "
        "cells than max_trials: sequential (keras-tuner's walk, the last parameter changing "
        "fastest), even (every parameter changes from one trial to the next, so every value of "
        "every parameter is tried early), random (a seeded random subset without repeats)"
    )
    directory: StrictStr | None = Field(
        None, description="tuner state folder (default: .lstm_sweep/NAME in the working folder)"
    )
    pruning: Pruning = Field(
        default_factory=PruningConfig, description="stop losing trials early: none, median or "
        "asha, or {rule: median, min_epochs: 2, min_trials: 3, reduction_factor: 3}")
    max_time: Duration | None = Field(
        None, description=f"time budget of the whole sweep, {DURATION_FORM}: no trial starts "
        f"after it and the running one stops at it (keeping its best epoch), then the sweep is "
        f"evaluated and registered as usual")
    target: Number | None = Field(
        None, description="stop the sweep at the first epoch whose objective reaches this "
        "value (at or below it when minimising, at or above when maximising)")
    start_with: list[dict[StrictStr, Any]] = Field(
        default_factory=list, description="configurations to try first, e.g. your current "
        "model: [{units: 64, layers: 2, learning_rate: 0.001}]; values left out take the "
        "hyperparameter's default; random, bayesian and hyperband")
    warm_start: StrictStr | None = Field(
        None, description="name of an earlier sweep in the same tracking store: its finished "
        "trials whose values fit this space are recorded as this sweep's first results, "
        "without training (bayesian search learns from them; none is run again); "
        "random, bayesian and hyperband")

    @property
    def max_time_seconds(self) -> float | None:
        return None if self.max_time is None else parse_duration(self.max_time)


def _searchable(plain: Any) -> Any:
    """A training setting that is ``plain`` or searched with ``{choice: ...}``/``{int: ...}``."""
    return Annotated[Union[
        Annotated[ChoiceSpec, Tag("choice")], Annotated[IntSpec, Tag("int")],
        Annotated[FloatSpec, Tag("float")], Annotated[plain, Tag("fixed")],
    ], Discriminator(_spec_kind, custom_error_type="param_spec", custom_error_message=(
        "expected a plain value or a mapping with exactly one of: choice, int"))]


class TrainingConfig(_Strict):
    """How each candidate trains. ``epochs``, ``shuffle`` and ``seed`` may be searched."""

    epochs: _searchable(Annotated[StrictInt, Field(ge=1)]) = Field(  # type: ignore[valid-type]
        20, description="maximum epochs per trial; {choice: [10, 30]} or {int: ...} searches it")
    seed: _searchable(Annotated[StrictInt, Field(ge=0, le=SEED_MAX)] | None) = Field(  # type: ignore[valid-type]
        None, description="seed of each trial's initial weights, dropout and shuffling "
        "(default: the sweep seed plus the trial number); {choice: [1, 2, 3]} searches it, to "
        "see how much a result owes to the seed")
    early_stopping_patience: StrictInt | None = Field(
        5, ge=1, description="stop a trial after this many epochs without improvement (null: off)"
    )
    early_stopping_monitor: StrictStr | None = Field(
        None, description="the metric early stopping watches (default: tuner.objective), e.g. "
        "val_loss while the tuner ranks by val_macro_f1; its direction follows its name"
    )
    min_delta: float = Field(
        0.0, ge=0, description="early stopping: a change smaller than this is no improvement"
    )
    shuffle: _searchable(bool) = Field(  # type: ignore[valid-type]
        True, description="shuffle training windows each epoch (seeded); {choice: [true, "
        "false]} searches it")
    jit_compile: Union[StrictBool, Literal["auto"]] = Field(
        "auto", description="XLA compilation: auto (on CPU, XLA for single-layer single-direction "
        "models of long enough trials, where it measured faster; Keras' choice on GPU, which "
        "keeps cuDNN), true or false; a model XLA cannot compile falls back to plain execution. "
        "On JAX always true"
    )
    mixed_precision: bool = Field(
        False, description="float16 compute with float32 weights and output (for GPUs); on "
        "JAX, LSTM layers stay float32 (JAX's cuDNN LSTM takes float32 only)"
    )
    max_trial_time: Duration | None = Field(
        None, description=f"time limit of one trial, {DURATION_FORM}: its training stops at "
        f"the limit and it keeps its best epoch")
    backend: Literal["auto", "tensorflow", "jax", "torch"] = Field(
        "auto", description="Keras 3 backend: auto (KERAS_BACKEND if set, else of tensorflow "
        "and jax the one estimated faster for this sweep's trials, epochs and batches), "
        "tensorflow, jax or torch; --backend "
        "overrides it. Not part of the sweep's identity: a sweep may resume on another backend"
    )

    @field_validator("epochs", "shuffle", "seed", mode="after")
    @classmethod
    def _fits_domain(cls, value: Any, info: ValidationInfo) -> Any:
        assert info.field_name is not None
        domain = TRAINING_SEARCH[info.field_name]
        if isinstance(value, (ChoiceSpec, IntSpec, FloatSpec)):
            value = _coerce(domain.kind, value)
            check_spec(info.field_name, value, domain)
        return value

    def searched(self) -> dict[str, Any]:
        """The training settings given as searched specs, by name."""
        return {name: getattr(self, name) for name in TRAINING_SEARCH
                if isinstance(getattr(self, name), (ChoiceSpec, IntSpec, FloatSpec))}

    def trial_settings(self) -> dict[str, Any]:
        """What each trial declares as hyperparameters: the searched settings, and a fixed
        ``seed`` (every trial then starts from it)."""
        settings = self.searched()
        if self.seed is not None and "seed" not in settings:
            settings["seed"] = self.seed
        return settings

    def max_epochs(self) -> int:
        """The most epochs any trial trains (the budget of hyperband and of XLA's choice)."""
        values = spec_values(self.epochs)
        return int(max(values)) if values else int(self.epochs.int_[1])

    def plain(self, name: str) -> Any:
        """A setting's value where it is not searched (the table's default where it is: each
        trial then takes its own)."""
        value = getattr(self, name)
        return TRAINING_SEARCH[name].default if name in self.searched() else value

    recycle_every: StrictInt = Field(
        25, ge=0, description="run the sweep in a fresh process every this many trials, so a "
        "long sweep's memory stays flat (it resumes where it was; 0: one process)"
    )

    @property
    def max_trial_seconds(self) -> float | None:
        return None if self.max_trial_time is None else parse_duration(self.max_trial_time)


class TrackingConfig(_Strict):
    """Where MLflow records the sweep."""

    tracking_uri: StrictStr | None = Field(
        None, description="default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db"
    )
    experiment: StrictStr | None = Field(None, description="default: the sweep name")
    register_as: StrictStr | None = Field(None, description="registered model name (default: name)")
    register_best: bool = Field(
        True, alias="register", description="register the best model in the Model Registry"
    )
    champion_must_beat_baseline: bool = Field(
        True, description="give the 'champion' alias only to a model that beats the strongest "
        "baseline on the test split (the version is registered either way, saying why); false: "
        "the best registered model takes it whatever the baselines score"
    )


class McDropoutConfig(_Strict):
    """Monte-Carlo dropout at prediction: the registered model runs ``samples`` passes with its
    dropout on and returns their mean with a spread (``serving/mc_dropout.py``)."""

    samples: StrictInt = Field(50, ge=2, le=10_000, description="stochastic passes per prediction")
    quantiles: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.05, 0.95], max_length=20,
        description="quantiles of the passes returned beside the mean and std (q5, q95 columns)")
    seed: StrictInt | None = Field(
        None, ge=0, le=SEED_MAX, description="seed of the dropout masks, so that a prediction "
        "repeats (default: the sweep's seed)")


class FinalModelConfig(_Strict):
    """What is registered once the search has chosen: the best trial as it trained, or an
    ensemble of the best trials, retrained on train + validation."""

    top_k: StrictInt = Field(
        1, ge=1, le=20, description="average the predictions of the k best completed trials "
        "(those that trained on the best trial's data variant); 1: the best trial alone"
    )
    seeds: StrictInt = Field(
        1, ge=1, le=10, description="train each member this many times with different seeds and "
        "average them all (the trial's own model is the first seed unless refit)"
    )
    refit: bool = Field(
        False, description="retrain each member on train + validation for its best epoch count "
        "before the test evaluation, so the final model has seen the most recent data"
    )
    mc_dropout: McDropoutConfig | None = Field(
        None, description="prediction intervals from Monte-Carlo dropout: the registered model "
        "keeps dropout on at prediction and returns the mean of samples passes with their std "
        "and quantiles, e.g. {samples: 50}; not searched (needs dropout in the space)")
    blend: Literal["networks", "with_baselines"] = Field(
        "networks", description="networks: the network ensemble alone; with_baselines: a "
        "weighted average of the network members and the fitted classical baselines, weights "
        "chosen on the validation split by greedy ensemble selection (single-target "
        "forecasting only)")


PYTHON_MODEL_FORM = r"^.+\.py:[A-Za-z_][A-Za-z0-9_]*$"


def split_python_ref(value: str) -> tuple[str, str]:
    """``my_model.py:build`` → (``my_model.py``, ``build``); ValueError saying the form."""
    path, _, function = value.rpartition(":")
    if not path or not path.endswith(".py") or len(path) == 3:
        raise ValueError(f"expected FILE.py:FUNCTION, e.g. my_model.py:build (got {value!r})")
    if not function.isidentifier() or keyword.iskeyword(function):
        raise ValueError(f"{function!r} is not a Python function name (expected FILE.py:FUNCTION, "
                         f"e.g. my_model.py:build)")
    return path, function


class ModelConfig(_Strict):
    """A network the YAML cannot describe, built by a Python function of yours."""

    python: StrictStr = Field(
        description="FILE.py:FUNCTION (path relative to the sweep file): build(hp, shape) gets "
        "keras-tuner's HyperParameters and the data's ModelShape and returns a Keras model, "
        "compiled or not; search then keeps only learning_rate, optimizer, loss, batch_size, "
        "clipnorm and weight_decay",
        json_schema_extra={"pattern": PYTHON_MODEL_FORM},
    )

    @field_validator("python", mode="after")
    @classmethod
    def _file_and_function(cls, value: str) -> str:
        split_python_ref(value)
        return value


class SweepConfig(_Strict):
    """One sweep: data, search space, tuner, training and tracking."""

    name: StrictStr = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$",
        description="sweep name: letters, digits, '_', '.', '-'",
    )
    seed: StrictInt = Field(42, ge=0, le=SEED_MAX,
                           description="fixes sampling, initialisation and shuffling")
    description: StrictStr | None = None
    data: DataConfig
    model: ModelConfig | None = Field(
        None, description="your own network in Python: {python: my_model.py:build}; default: "
        "the built-in recurrent network that search describes"
    )
    search: SearchConfig = Field(default_factory=SearchConfig)
    tuner: TunerConfig = Field(default_factory=TunerConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    final_model: FinalModelConfig = Field(default_factory=FinalModelConfig)
    preset: Literal["none", "fast", "good", "best"] | None = Field(
        None, exclude=True, description="what the keys this file leaves out are set to: fast, "
        "good (the default) or best (budget: trials, epochs, ensemble; for a forecast, the "
        "transform, lookback, window level and residuals the training rows call for), or none "
        "(the schema's defaults); resolved when the file is read, so `validate` shows each "
        "value it chose")

    @property
    def experiment_name(self) -> str:
        return self.tracking.experiment or self.name

    @property
    def model_name(self) -> str:
        return self.tracking.register_as or self.name
