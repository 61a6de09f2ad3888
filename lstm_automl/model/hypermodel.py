"""Sampled hyperparameter values → a compiled Keras 3 model, for every cell family.

``build_model`` takes a plain dict, so a model can be rebuilt and tested without a tuner;
``SweepHyperModel`` is the thin keras-tuner adapter around it.

XLA (``training.jit_compile: auto``): on a CPU only single-layer, single-direction models of
trials long enough to repay the compile (``XLA_MIN_WORK``), the one shape XLA made reliably
faster (bench/epoch_time.py; docs/sweep-file.md); on a GPU Keras chooses, which keeps the fused
cuDNN kernel XLA cannot compile (``model/kernel_tags.py``).

Mixed precision (``training.mixed_precision``) computes the body in float16 with float32
weights; every head ends in a float32 layer, so outputs and the loss stay float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import keras
import keras_tuner as kt

from lstm_automl.baselines.window_series import fit_on_windows
from lstm_automl.config.params import DATA_PREFIX, SEARCH_PARAMS, encode_data
from lstm_automl.config.window_rules import recursive_fits, season_fits, window_blocker
from lstm_automl.data.base import ModelShape
from lstm_automl.model.cells import (
    ArBaseline,
    ArimaBaseline,
    EtsBaseline,
    EtsNorm,
    ShiftIn,
    TokenIds,
    WindowBaseline,
    WindowNorm,
    make_recurrent_layer,
)
from lstm_automl.model.fcn import dimension_shuffle, fcn_branch, join_branches
from lstm_automl.model.lr_schedule import learning_rate, plateau_callback, train_steps
from lstm_automl.model.metrics import extra_metric_objects
from lstm_automl.model.padded_batches import compiled_metrics
from lstm_automl.model.space import declare_space, declare_training_settings
from lstm_automl.model.step_metrics import StepAccuracy, step_loss
from lstm_automl.model.training import BacktestLogs, TrialTrainer, objective_of


def _bias(prior: tuple[float, ...] | None) -> dict[str, Any]:
    """The output layer's bias initializer for ``output_bias: prior`` (None: Keras' zeros)."""
    if prior is None:
        return {}
    return {"bias_initializer": keras.initializers.Constant(list(prior))}


def _regression_head(x: Any, shape: ModelShape, activation: str = "linear",
                     prior: tuple[float, ...] | None = None) -> Any:
    """``activation``: ``output_activation``; linear passes none, so a default head is built
    exactly as before the key existed."""
    # A float32 output keeps the loss in float32 under mixed precision (float16 would overflow
    # on squared errors of unscaled targets and lose small gradients).
    options = {} if activation == "linear" else {"activation": activation}
    return keras.layers.Dense(shape.n_outputs, dtype="float32", name="output", **options,
                              **_bias(prior))(x)


def _classification_head(x: Any, shape: ModelShape, activation: str = "linear",
                         prior: tuple[float, ...] | None = None) -> Any:
    """Sigmoid or softmax whatever ``output_activation`` says (validate refuses one)."""
    if shape.positions:  # one label per position: (positions, classes) softmax
        tiled = None if prior is None else tuple(prior) * shape.positions
        x = keras.layers.Dense(shape.positions * shape.n_outputs, name="logits",
                               **_bias(tiled))(x)
        x = keras.layers.Reshape((shape.positions, shape.n_outputs))(x)
        return keras.layers.Activation("softmax", dtype="float32", name="output")(x)
    activation = "sigmoid" if shape.n_outputs == 1 else "softmax"
    return keras.layers.Dense(shape.n_outputs, activation=activation, dtype="float32",
                              name="output", **_bias(prior))(x)


def _step_head(x: Any, shape: ModelShape, activation: str = "linear",
               prior: tuple[float, ...] | None = None) -> Any:
    """``task: label``: a softmax over the classes at every step of the sequence output."""
    return keras.layers.Dense(shape.n_outputs, activation="softmax", dtype="float32",
                              name="output", **_bias(prior))(x)


# The head per task: a linear output for numbers (or output_activation's), sigmoid or softmax
# for classes, a softmax per step for step labels; the last argument is the starting bias
# (``output_bias``).
HEADS: dict[str, Callable[[Any, ModelShape, str, tuple[float, ...] | None], Any]] = {
    "forecast": _regression_head,
    "regress": _regression_head,
    "classify": _classification_head,
    "label": _step_head,
}


def _head_prior(values: dict[str, Any], shape: ModelShape, norm: str,
                residual: str) -> tuple[float, ...] | None:
    """The starting bias ``output_bias`` asks for: the data's prior, except where the output
    is not the target itself (a window level or classical forecast is added to it, or a
    non-linear output activation maps it), where zeros are already the neutral start."""
    if _setting(values, "output_bias") != "prior":
        return None
    if shape.task not in ("classify", "label") and (
            norm != "none" or residual != "none"
            or _setting(values, "output_activation") != "linear"):
        return None
    return shape.output_prior


def _numeric_metrics() -> list[keras.metrics.Metric]:
    return [keras.metrics.MeanAbsoluteError(name="mae"),
            keras.metrics.RootMeanSquaredError(name="rmse")]


def task_metrics(shape: ModelShape, extra: tuple[str, ...] = ()) -> list[Any]:
    """The task's metrics, and the ``extra`` ones (``names.EXTRA_METRICS``) the objective or
    the early-stopping monitor reads."""
    wanted = extra_metric_objects(extra, shape)
    if shape.task == "label":  # over the real steps only
        return [StepAccuracy(), *wanted]
    if shape.task != "classify":
        return _numeric_metrics() + wanted
    if shape.n_outputs == 1 and not shape.positions:
        return [keras.metrics.BinaryAccuracy(name="accuracy"), *wanted]
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy"), *wanted]


def task_loss(shape: ModelShape, name: str) -> Any:
    """Cross-entropy for classes (the sweep's ``loss`` choice applies to numeric targets)."""
    if shape.task == "label":
        return step_loss()
    if shape.task != "classify":
        return LOSSES[name]()
    if shape.n_outputs == 1 and not shape.positions:
        return keras.losses.BinaryCrossentropy()
    return keras.losses.SparseCategoricalCrossentropy()


def make_optimizer(name: str, learning_rate: Any, clipnorm: float | None,
                   momentum: float = 0.9, weight_decay: float | None = None) -> keras.Optimizer:
    """The optimizer named in the sweep file (names from ``families.OPTIMIZERS``); ``momentum``
    is SGD's only. ``weight_decay``: Keras' decoupled decay, for every optimizer (None: the
    optimizer's own, AdamW's 1e-4 as before the key existed). ``learning_rate``: a number or a
    schedule."""
    clip: dict[str, Any] = {"clipnorm": clipnorm} if clipnorm else {}
    if weight_decay is not None:
        clip["weight_decay"] = float(weight_decay)
    factories: dict[str, Callable[[], keras.Optimizer]] = {
        "adam": lambda: keras.optimizers.Adam(learning_rate, **clip),
        "adamw": lambda: keras.optimizers.AdamW(learning_rate, **{"weight_decay": 1e-4, **clip}),
        "nadam": lambda: keras.optimizers.Nadam(learning_rate, **clip),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate, **clip),
        "sgd": lambda: keras.optimizers.SGD(learning_rate, momentum=momentum, **clip),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate, **clip),
    }
    return factories[name]()


LOSSES: dict[str, Callable[[], Any]] = {
    "mse": lambda: keras.losses.MeanSquaredError(),
    "mae": lambda: keras.losses.MeanAbsoluteError(),
    "huber": lambda: keras.losses.Huber(delta=1.0),
    "mape": lambda: keras.losses.MeanAbsolutePercentageError(),
}


XLA_MIN_WORK = 10_000_000  # training steps x windows x epochs: below, compiling costs more
# resolve_jit's answer for "XLA where it measured faster": build_model decides per model.
XLA_WHERE_FASTER = "xla_where_faster"


def resolve_jit(setting: bool | str, work: int) -> bool | str:
    """``training.jit_compile`` for the sweep's models (see the module docstring for the figures).

    On JAX always ``True``, whatever the setting: XLA is how JAX runs at all.

    ``auto``: on a GPU, Keras' own choice (``"auto"``, which keeps cuDNN for LSTM and GRU); on a
    CPU, no XLA for short trials (``work`` below ``XLA_MIN_WORK``: the compile would cost more
    than it saves), else ``XLA_WHERE_FASTER``, which ``build_model`` turns into XLA for
    single-layer single-direction models only. ``true``/``false`` are used as given.
    """
    backend = keras.backend.backend()
    if backend == "jax":  # un-jitted, Keras runs JAX op by op: tens of times slower
        return True
    if setting != "auto":
        return setting
    if backend != "tensorflow":  # PyTorch: Keras' choice (no torch.compile)
        return "auto"
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "auto"
    return XLA_WHERE_FASTER if work >= XLA_MIN_WORK else False


def xla_is_faster(values: dict[str, Any]) -> bool:
    """Whether XLA reliably measured faster on CPU for a model of this shape: one recurrent
    layer, one direction (bidirectional and stacked LSTMs measured from 16% faster to 6% slower
    with XLA, depending on the run). Not with the FCN branch: never measured."""
    return int(values["layers"]) == 1 and not values["bidirectional"] \
        and not values.get("fcn_branch")


def _sequence_mask(inputs: Any) -> Any:
    """True up to each sequence's last step with any non-zero feature: right-padded by
    construction, as cuDNN requires, so a real all-zero step inside a sequence is not skipped.
    The first step always counts, so an all-zero sequence is one zero step, not an empty one
    (which cuDNN refuses)."""
    ops = keras.ops
    nonzero = ops.cast(ops.any(ops.not_equal(inputs, 0.0), axis=-1), "int32")
    # A step is real when it or a later step is non-zero: a cumulative sum from the end.
    from_end = ops.flip(ops.cumsum(ops.flip(nonzero, axis=1), axis=1), axis=1)
    first = ops.expand_dims(ops.equal(ops.arange(inputs.shape[1]), 0), 0)
    return ops.logical_or(ops.greater(from_end, 0), first)


def window_settings(values: dict[str, Any], shape: ModelShape) -> tuple[str, str, list[str]]:
    """The ``window_norm`` and ``residual`` this model can apply, and why any was dropped.

    Both need a forecast whose target is an input channel; ``seasonal_naive`` also a season no
    longer than the lookback. Where a sampled combination cannot apply (``validate`` refuses
    sweeps where none can and notes the rest), the trial builds without it instead of failing.
    """
    norm = values.get("window_norm") or "none"
    residual = values.get("residual") or "none"
    dropped: list[str] = []
    if norm == residual == "none":
        return norm, residual, dropped
    why = window_blocker(shape.task, target_is_input=shape.target_channel is not None)
    if why:
        dropped = [f"{name}: {value} ignored: {why}"
                   for name, value in (("window_norm", norm), ("residual", residual))
                   if value != "none"]
        return "none", "none", dropped
    if residual == "seasonal_naive" and not season_fits(shape.season, shape.steps):
        season = "no season is known" if shape.season is None else f"season {shape.season}"
        dropped.append(f"residual: seasonal_naive ignored: needs a lookback of at least one "
                       f"season ({season}, lookback {shape.steps})")
        residual = "none"
    if norm == "ets" and shape.classical("ets") is None:
        dropped.append("window_norm: ets ignored: the training rows are too few (or too "
                       "degenerate) to fit the model")
        norm = "none"
    if residual in FIXED_FORECASTS and shape.classical(residual) is None:
        dropped.append(f"residual: {residual} ignored: the training rows are too few (or too "
                       f"degenerate) to fit the model")
        residual = "none"
    return norm, residual, dropped


# The residuals whose forecast comes from a classical model fitted on the training rows.
FIXED_FORECASTS = {"ar": ArBaseline, "ets": EtsBaseline, "arima": ArimaBaseline}


def _window_baseline(norm: str, residual: str) -> str | None:
    """What ``WindowBaseline`` adds to the output: the residual's forecast, which already
    carries the level ``WindowNorm`` took off, else that level alone (``ar``, ``ets``,
    ``arima``: their own layers add their forecasts instead, which carry the level too)."""
    if residual in FIXED_FORECASTS:
        return None
    if residual == "naive":
        return "last"
    if residual == "seasonal_naive":
        return "seasonal_naive"
    return None if norm in ("none", "ets") else norm


def build_model(values: dict[str, Any], shape: ModelShape, seed: int | None = None,
                jit_compile: bool | str = "auto", metrics: tuple[str, ...] = (),
                train_steps: int | None = None) -> keras.Model:
    """Build and compile one candidate from plain values (see ``space.declare_space``).

    ``jit_compile``: as ``keras.Model.compile``, or ``XLA_WHERE_FASTER`` (``resolve_jit``).
    ``metrics``: extra metrics to report (``names.extra_metrics``). ``train_steps``: the
    optimizer steps the model will train for, which ``lr_schedule: cosine`` decays over.
    """
    if jit_compile == XLA_WHERE_FASTER:
        jit_compile = xla_is_faster(values)
    inputs = keras.Input(shape=(shape.steps, shape.n_features), name="window")
    if shape.task == "reconstruct":
        outputs = _autoencoder(values, shape, seed, inputs)
    elif recursive_applies(values, shape):
        outputs = _recursive(values, shape, seed, inputs)
    else:
        outputs = _network(values, shape, seed, inputs)
    model = keras.Model(inputs, outputs, name=_model_name(values))
    model.compile(
        optimizer=make_optimizer(values["optimizer"], learning_rate(values, train_steps),
                                 values["clipnorm"], float(_setting(values, "momentum")),
                                 values.get("weight_decay")),
        loss=task_loss(shape, values["loss"]),
        # weighted on JAX, where the last batch is padded (padded_batches.py)
        **compiled_metrics(task_metrics(shape, metrics), shape.task),
        jit_compile=jit_compile,
    )
    return model


def recursive_applies(values: dict[str, Any], shape: ModelShape) -> bool:
    """``multi_step: recursive`` where it can work: a forecast of several steps whose only
    input channel is the target (other features' future values are unknown)."""
    if (values.get("multi_step") or "direct") != "recursive":
        return False
    if recursive_fits(shape.task, shape.n_outputs,
                      target_only_input=shape.n_features == 1 and shape.target_channel == 0):
        return True
    if shape.n_outputs > 1:
        warnings.warn("model built without multi_step: recursive: it needs the target as the "
                      "only input channel", UserWarning, stacklevel=3)
    return False


def _recursive(values: dict[str, Any], shape: ModelShape, seed: int | None, inputs: Any) -> Any:
    """One one-step network applied ``horizon`` times, each forecast shifted into the window:
    trained through the whole chain on every horizon step (the loss sees the error it
    accumulates), and saved as one model that serves like a direct one."""
    step_shape = replace(shape, n_outputs=1)
    step_inputs = keras.Input(shape=(shape.steps, shape.n_features), name="step_window")
    step = keras.Model(step_inputs, _network(values, step_shape, seed, step_inputs),
                       name="one_step")
    window, forecasts = inputs, []
    for k in range(shape.n_outputs):
        forecasts.append(step(window))
        if k < shape.n_outputs - 1:
            window = ShiftIn(name=f"shift_in_{k}")([window, forecasts[-1]])
    return keras.layers.Concatenate(axis=1, dtype="float32", name="output")(forecasts)


def _autoencoder(values: dict[str, Any], shape: ModelShape, seed: int | None,
                 inputs: Any) -> Any:
    """A sequence autoencoder (``data.scorer: autoencoder``): the searched front end and
    recurrent stack encode the window into its last state, which is repeated at every step for
    a decoder of the same cells, units and depth that returns a state per step; a linear layer
    rebuilds each step's channels, returned flattened (``window_errors.unflattened``). The
    decoder is a model of its own, so its layers may share the encoder's names."""
    x = _conv_front(inputs, values, seed) if values["conv_front"] else inputs
    code = _recurrent_stack(x, values, seed, None)
    repeated = keras.layers.RepeatVector(shape.steps, name="repeat_code")(code)
    decoder_inputs = keras.Input(shape=(shape.steps, int(repeated.shape[-1])), name="code")
    decoded = _recurrent_stack(decoder_inputs, values, _offset(seed, 1000), None,
                               every_step=True)
    decoder = keras.Model(decoder_inputs, decoded, name="decoder")
    rebuilt = keras.layers.Dense(shape.n_outputs, dtype="float32",
                                 name="reconstruction")(decoder(repeated))
    # One row per window (steps x channels flattened), as every other task's output: a sample
    # weight per window then weighs the loss and the metrics (JAX's padded batches).
    return keras.layers.Flatten(dtype="float32", name="rebuilt_window")(rebuilt)


def _network(values: dict[str, Any], shape: ModelShape, seed: int | None, inputs: Any) -> Any:
    """The outputs of one network on ``inputs``: window norm, front end, recurrent stack (and
    the FCN branch beside it, ``model/fcn.py``), head, and the residual's simple forecast."""
    norm, residual, dropped = window_settings(values, shape)
    for reason in dropped:
        warnings.warn(f"model built without {reason}", UserWarning, stacklevel=3)
    x = inputs
    if norm != "none":  # float32: the level is subtracted before any float16 cast
        assert shape.target_channel is not None  # window_settings drops it otherwise
        x = (EtsNorm(shape.target_channel, shape.classical("ets") or (), dtype="float32",
                     name="window_norm")(x) if norm == "ets" else
             WindowNorm(shape.target_channel, norm, dtype="float32", name="window_norm")(x))
    if shape.vocabulary:  # text: token ids -> vectors; the ids' padding (0) is the mask
        x = _embedded(x, values, shape, seed)
    # Padded after the end: every recurrent layer gets the mask explicitly, because a Conv1D
    # front end would drop a mask carried by the tensors (and its causal padding never lets the
    # padding leak back into real steps).
    mask = _sequence_mask(inputs) if shape.masked else None
    window = x  # what the FCN branch reads
    if values["conv_front"]:
        x = _conv_front(x, values, seed)
    fcn = bool(_setting(values, "fcn_branch"))
    if fcn and _setting(values, "dimension_shuffle"):  # steps become features: no step mask
        x, mask_in = dimension_shuffle(x), None
    else:
        mask_in = mask
    x = _recurrent_stack(x, values, seed, mask_in, every_step=shape.task == "label")
    if fcn:
        x = join_branches(x, fcn_branch(window, int(_setting(values, "fcn_filters")), mask))
    x = _dense_layers(x, values, seed)
    outputs = HEADS[shape.task](x, shape, str(_setting(values, "output_activation")),
                                _head_prior(values, shape, norm, residual))
    baseline = _window_baseline(norm, residual)
    if baseline is not None:
        assert shape.target_channel is not None
        season = shape.season if baseline == "seasonal_naive" else None
        outputs = WindowBaseline(shape.target_channel, shape.n_outputs, baseline, season,
                                 dtype="float32", name="window_baseline")([inputs, outputs])
    if norm == "ets" and residual == "none":  # the ETS forecast back, as the level is
        residual = "ets"
    if residual in FIXED_FORECASTS:
        params = shape.classical(residual)
        assert shape.target_channel is not None and params is not None
        outputs = FIXED_FORECASTS[residual](
            shape.target_channel, shape.n_outputs, params, dtype="float32",
            name=f"{residual}_baseline")([inputs, outputs])
    return outputs


def _embedded(x: Any, values: dict[str, Any], shape: ModelShape, seed: int | None) -> Any:
    """Token ids → ``embedding_dim`` vectors. Ids past ``vocab_size`` (the rarer training
    tokens) share the out-of-vocabulary id; padding is masked (``mask_zero``)."""
    limit = min(shape.vocabulary, int(_setting(values, "vocab_size")) + 2)
    ids = TokenIds(limit, name="token_ids")(x)
    init = keras.initializers.RandomUniform(-0.05, 0.05, seed=_offset(seed, 7919))
    return keras.layers.Embedding(limit, int(_setting(values, "embedding_dim")), mask_zero=True,
                                  embeddings_initializer=init, name="embedding")(ids)


def _setting(values: dict[str, Any], name: str) -> Any:
    """``values[name]``, or the table's default where it is missing: trials recorded before the
    param existed (and hand-written values) build the model they built then."""
    value = values.get(name)
    return SEARCH_PARAMS[name].default if value is None else value


def _layer_setting(values: dict[str, Any], name: str, index: int) -> Any:
    """Layer ``index``'s value of a per-layer param (a list, or one value shared by all)."""
    value = _setting(values, name)
    return value[index] if isinstance(value, list) else value


def _kernel_options(values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for the kernels of recurrent and hidden dense layers; none where the
    defaults hold, so a default model is built exactly as before."""
    options: dict[str, Any] = {}
    initializer = str(_setting(values, "kernel_initializer"))
    if initializer != "default":
        options["kernel_initializer"] = initializer
    l2 = float(_setting(values, "l2"))
    if l2 > 0:
        options["kernel_regularizer"] = keras.regularizers.L2(l2)
    return options


def _recurrent_options(values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the recurrent layers only: the L2 of their state-to-state kernels
    (``recurrent_l2``) and their ``activation``; none at the defaults, so a default model is
    built exactly as before."""
    options: dict[str, Any] = {}
    factor = float(_setting(values, "recurrent_l2"))
    if factor > 0:
        options["recurrent_regularizer"] = keras.regularizers.L2(factor)
    activation = str(_setting(values, "activation"))
    if activation != "tanh":  # every family's default (and cuDNN's condition)
        options["activation"] = activation
    return options


def _dropout(x: Any, rate: float, seed: int | None, name: str) -> Any:
    """A Dropout layer, or none at rate 0 (so a default model keeps its exact layers)."""
    if rate <= 0:
        return x
    return keras.layers.Dropout(rate, seed=seed, name=name)(x)


def _offset(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _recurrent_stack(x: Any, values: dict[str, Any], seed: int | None, mask: Any,
                     every_step: bool = False) -> Any:
    """The stacked recurrent layers, each followed by its dropout, then the stack's dropout.
    ``every_step``: the last layer returns its whole sequence too (a label per step)."""
    layers = int(values["layers"])
    for index in range(layers):
        x = _recurrent_block(x, values, index, every_step or index < layers - 1, seed, mask)
    rate = float(_setting(values, "stack_dropout"))
    return _dropout(x, rate, _offset(seed, 2 * layers), "stack_dropout")


def _recurrent_block(x: Any, values: dict[str, Any], index: int, sequences: bool,
                     seed: int | None, mask: Any) -> Any:
    """Recurrent layer ``index`` and what follows it. ``mask`` goes to the recurrent layer
    explicitly: layers between recurrent ones need not carry it."""
    cell = str(_layer_setting(values, "cell", index))  # one family, or one per layer
    recurrent = make_recurrent_layer(
        cell,
        int(values["units"][index]),
        return_sequences=sequences,
        dropout=float(values["dropout"][index]),
        recurrent_dropout=float(values["recurrent_dropout"][index]),
        seed=_offset(seed, index),
        name=f"{cell}_{index}",
        **_kernel_options(values),
        **_recurrent_options(values),
    )
    if values["bidirectional"]:
        # The wrapper computes in the layer's dtype: on JAX its fused cuDNN path runs in the
        # wrapper's, which must be the LSTM's float32 under mixed precision (cells.__init__).
        recurrent = keras.layers.Bidirectional(recurrent, name=f"bidirectional_{index}",
                                               dtype=recurrent.dtype_policy)
    x = recurrent(x) if mask is None else recurrent(x, mask=mask)
    rate = float(_layer_setting(values, "layer_dropout", index))
    x = _dropout(x, rate, _offset(seed, int(values["layers"]) + index), f"layer_dropout_{index}")
    x = _normalise(x, str(_setting(values, "norm")), f"norm_{index}")
    follows = index < int(values["layers"]) - 1  # another recurrent layer
    if follows and _setting(values, "batch_norm_between"):
        x = keras.layers.BatchNormalization(name=f"batch_norm_between_{index}")(x)
    return x


# The ``norm`` choices (names from ``families.NORMALIZATIONS``). A batch norm sees the padding
# mask the recurrent layer's output carries, so padded steps stay out of its statistics.
NORMALIZATION_LAYERS: dict[str, Callable[[str], keras.layers.Layer] | None] = {
    "none": None,
    "batch": lambda name: keras.layers.BatchNormalization(name=name),
    "layer": lambda name: keras.layers.LayerNormalization(name=name),
}


def _normalise(x: Any, kind: str, name: str) -> Any:
    factory = NORMALIZATION_LAYERS[kind]
    return x if factory is None else factory(name)(x)


def _conv_front(x: Any, values: dict[str, Any], seed: int | None) -> Any:
    """The Conv1D front end (causal: a step never sees later ones, so padding after the end
    cannot leak into real steps) and its dropout."""
    filters, kernel = int(values["conv_filters"]), int(values["conv_kernel_size"])
    if _setting(values, "conv_block") == "residual":
        x = _residual_conv_block(x, filters, kernel)
    else:
        x = keras.layers.Conv1D(filters, kernel, padding="causal", activation="relu",
                                name="conv_front")(x)
    rate = float(_setting(values, "conv_dropout"))
    return _dropout(x, rate, _offset(seed, 3000), "conv_dropout")


def _residual_conv_block(x: Any, filters: int, kernel: int) -> Any:
    """Three causal Conv1D + BatchNormalization layers with a shortcut, as in the residual
    blocks of ResNet for time series (Wang et al. 2017); a 1x1 convolution matches the
    shortcut's channels where the input has another count."""
    shortcut = x
    for index in range(3):
        x = keras.layers.Conv1D(filters, kernel, padding="causal", name=f"conv_front_{index}")(x)
        x = keras.layers.BatchNormalization(name=f"conv_front_norm_{index}")(x)
        if index < 2:
            x = keras.layers.Activation("relu", name=f"conv_front_relu_{index}")(x)
    if shortcut.shape[-1] != filters:
        shortcut = keras.layers.Conv1D(filters, 1, name="conv_front_shortcut")(shortcut)
    x = keras.layers.Add(name="conv_front_add")([x, shortcut])
    return keras.layers.Activation("relu", name="conv_front")(x)


def _dense_layers(x: Any, values: dict[str, Any], seed: int | None) -> Any:
    """The hidden dense layers of the head, each followed by its dropout (a PReLU layer after
    a linear Dense where the activation is ``prelu``)."""
    activation = str(values["dense_activation"])
    for index in range(int(values["dense_layers"])):
        x = keras.layers.Dense(
            int(values["dense_units"][index]),
            activation=None if activation == "prelu" else activation,
            name=f"dense_{index}", **_kernel_options(values),
        )(x)
        if activation == "prelu":
            x = keras.layers.PReLU(name=f"dense_prelu_{index}")(x)
        rate = float(_layer_setting(values, "dense_dropout", index))
        x = _dropout(x, rate, _offset(seed, 1000 + index), f"dense_dropout_{index}")
    return x


def _model_name(values: dict[str, Any]) -> str:
    """``lstm_x2_bi``; per-layer cells name each family once, in layer order (``lstm_gru_x2``);
    ``_fcn`` with the FCN branch."""
    cells = values["cell"] if isinstance(values["cell"], list) else [values["cell"]]
    bi = "_bi" if values["bidirectional"] else ""
    fcn = "_fcn" if values.get("fcn_branch") else ""
    return f"{'_'.join(dict.fromkeys(map(str, cells)))}_x{values['layers']}{bi}{fcn}"


class SweepHyperModel(kt.HyperModel):
    """keras-tuner adapter: declares the space on ``hp`` and builds with ``build_model``.

    With ``variants`` (searched data settings) each trial also picks its data variant: the
    model's input shape follows it in ``build`` and ``fit`` trains on its windows.
    """

    def __init__(self, specs: dict[str, Any], shape: ModelShape, seed: int,
                 variants: Any = None, jit_compile: bool | str = "auto",
                 python: Any = None, metrics: tuple[str, ...] = (),
                 training: dict[str, Any] | None = None, train_size: int | None = None,
                 epochs: int | None = None) -> None:
        super().__init__(name="lstm_sweep", tunable=True)
        self.specs = specs
        self.python = python  # a python_model.PythonBuilder: the user's function builds
        self.shape = shape
        self.seed = seed
        self.variants = variants
        self.jit_compile = jit_compile
        self.metrics = metrics  # extra metrics the objective or early stopping reads
        self.training = training or {}  # searched training settings: epochs, shuffle, seed
        # Windows in the training split and epochs per trial: what lr_schedule cosine decays
        # over (a data variant's own split where data settings are searched).
        self.train_size = train_size
        self.epochs = epochs

    def _data_for(self, hp: kt.HyperParameters) -> Any:
        for name, values in self.variants.searched.items():
            choices = [encode_data(name, v) for v in values]
            if len(choices) == 1:
                hp.Fixed(DATA_PREFIX + name, choices[0])
            else:
                hp.Choice(DATA_PREFIX + name, choices)
        return self.variants.from_hp_values(hp.values)

    def _training_for(self, hp: kt.HyperParameters) -> dict[str, Any]:
        """This trial's searched training settings; a searched seed reseeds before building,
        so that it fixes the initial weights as the sweep seed otherwise does."""
        values = declare_training_settings(hp, self.training)
        if values.get("seed") is not None:
            keras.utils.set_random_seed(int(values["seed"]))
        return values

    def build(self, hp: kt.HyperParameters, fold: Any = None) -> keras.Model:
        """``fold``: an earlier backtest fold the model trains on (its own scalers), so the
        classical models of ``residual`` and ``window_norm: ets`` are fitted on that fold's
        training windows instead (once per fold for the whole sweep)."""
        training = self._training_for(hp)
        shape, samples = self.shape, self.train_size
        if self.variants is not None:
            data = self._data_for(hp)
            shape, samples = data.model_shape(), len(data.splits["train"].x)
        if fold is not None:
            fits = self.__dict__.setdefault("_fold_fits", {})  # one fit per fold and kind
            shape, samples = _fold_shape(shape, fold, fits), len(fold.train.x)
        if self.python is not None:
            return self.python.build(hp, shape, self.specs, self.jit_compile)
        values = declare_space(hp, self.specs)
        steps = train_steps(samples, int(values["batch_size"]), training.get("epochs", self.epochs))
        try:
            return build_model(values, shape, seed=self.seed, jit_compile=self.jit_compile,
                               metrics=self.metrics, train_steps=steps)
        except (ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise kt.errors.FailedTrialError(f"model cannot be built: {first}") from exc

    def fit(self, hp: kt.HyperParameters, model: keras.Model, *args: Any, **kwargs: Any) -> Any:
        """Train the trial's model on its data variant through input pipelines shared by all
        trials (built once per variant and batch size: tf.data on TensorFlow, a PyDataset on
        JAX and PyTorch; see ``data/pipeline.py``).

        With ``data.backtest`` one fresh model per earlier fold trains first; their best
        validation metrics are averaged with this model's into ``backtest_val_*`` on every
        epoch's logs (``training.py``). This model, trained on the ordinary split, stays the
        trial's model and checkpoint.
        """

        trainer = self.__dict__.setdefault("_trainer", TrialTrainer())  # one per sweep
        batch_size = int(hp.get("batch_size"))
        kwargs.pop("batch_size", None)
        shuffle = bool(kwargs.pop("shuffle", True))
        for name, value in self._training_for(hp).items():
            if name == "epochs":
                kwargs["epochs"] = int(value)
            elif name == "shuffle":
                shuffle = bool(value)
        callbacks = list(kwargs.pop("callbacks", None) or [])
        plateau = plateau_callback(hp.values, *objective_of(callbacks))
        if plateau is not None:  # on the objective, as keras-tuner's checkpoint names it
            callbacks.append(plateau)
        validation = kwargs.pop("validation_data", None)
        data = self.variants.from_hp_values(hp.values) if self.variants is not None else None
        if data is not None:
            train, val = data.splits["train"], data.splits["validation"]
            x, y, validation = train.x, train.y, (val.x, val.y)
        else:
            x = args[0] if args else kwargs.pop("x")
            y = args[1] if len(args) > 1 else kwargs.pop("y")
        folds = list(getattr(data, "folds", None) or [])
        if len(folds) > 1:
            scores = trainer.earlier_folds(_fit_xla_safe, lambda fold: self.build(hp, fold),
                                           folds[:-1], batch_size, shuffle, callbacks, kwargs,
                                           pad=self.python is None)
            callbacks.insert(0, BacktestLogs(scores))  # first: the others read what it adds
        return trainer.fit(_fit_xla_safe, model, x, y, validation, batch_size, shuffle,
                           callbacks, kwargs, pad=self.python is None)  # ours: known layers


def _fold_shape(shape: ModelShape, fold: Any,
                fits: dict[Any, tuple[float, ...] | None] | None = None) -> ModelShape:
    """``shape`` with the classical models behind ``residual`` refitted on ``fold``'s training
    windows, which are scaled by the fold's own scalers and end before its validation origin;
    ``fits`` keeps them across calls."""
    channel = shape.target_channel
    if channel is None or (shape.ar_params is None and shape.fit_classical is None):
        return shape
    kept = {} if fits is None else fits

    def fit_classical(kind: str) -> tuple[float, ...] | None:
        key = (kind, channel, id(fold.train.x))
        if key not in kept:
            kept[key] = fit_on_windows(kind, [fold.train], channel, shape.season, shape.steps)
        return kept[key]

    return replace(shape, ar_params=None, fit_classical=fit_classical)


def _fit_xla_safe(model: keras.Model, *args: Any, **kwargs: Any) -> Any:
    """``model.fit``; a graph XLA refuses trains again with plain execution."""
    try:
        return model.fit(*args, **kwargs)
    except Exception as exc:  # XLA refuses some graphs; plain execution still trains them
        if not _is_xla_failure(exc) or model.jit_compile is False \
                or keras.backend.backend() != "tensorflow":  # JAX without XLA: op by op
            raise
        model.jit_compile = False
        model.make_train_function(force=True)
        model.make_test_function(force=True)
        return model.fit(*args, **kwargs)


def _is_xla_failure(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return any(marker in text for marker in ("XLA", "xla", "jit_compile", "Unsupported op"))
