"""Peephole LSTM cell (Gers, Schraudolph & Schmidhuber 2002) for Keras 3.

Keras 3 dropped TF2's ``PeepholeLSTMCell``, so this module brings it back as a subclass of
``keras.layers.LSTMCell``: it keeps LSTMCell's weight layout (``kernel``, ``recurrent_kernel``,
``bias``; gate order i, f, c, o), its constructor, dropout masks and config, and only adds three
diagonal peephole vectors that let the gates look at the cell state. With zero peepholes it
computes exactly what ``keras.layers.LSTM`` computes.

``PeepholeLSTM`` is the same recurrence as a layer (``keras.layers.RNN`` subclass, built like
``keras.layers.LSTM(units, ...)``) with the same weights, and faster: before the time loop it
reads the weights once, stacks ``kernel``, ``bias`` and ``recurrent_kernel`` into one matrix and
broadcasts the peephole vectors to the batch, so each step is one matmul of ``[x_t, 1, h]`` and
the elementwise gates, with no per-step variable reads or batch reductions in the gradient. It
falls back to the cell's own step where that trick does not apply (recurrent dropout or per-gate
dropout masks in training). The sweep's ``peephole`` family builds this layer
(``lstm_automl.model.cells.CELLS``); ``keras.layers.RNN(PeepholeLSTMCell(units))`` keeps working as
before. (Projecting all steps' inputs in one matmul before the loop, as cuDNN does, was slower
on CPU: its gradient is written step by step; the figures are in bench/runs/2026-12.md.)

Saved models store the cell under the registered name ``lstm_automl>PeepholeLSTMCell`` (and the
layer under ``lstm_automl>PeepholeLSTM``). Keras 3 never imports a non-Keras module named in a
saved config (a security rule in ``keras.src.saving.serialization_lib``), so
``lstm_automl.model.cells`` (or this module) must be imported before ``keras.saving.load_model`` is
called on such a model.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
from keras import initializers, ops
from keras.src import backend as keras_backend  # backend.rnn: the loop keras.layers.RNN runs


@keras.saving.register_keras_serializable(package="lstm_automl")
class PeepholeLSTMCell(keras.layers.LSTMCell):
    """LSTM cell whose input, forget and output gates also see the cell state.

    Equations (⊙ is the elementwise product, ``c`` the carry, ``h`` the output)::

        i   = σ(x W_i + h_{t-1} U_i + b_i + w_ci ⊙ c_{t-1})
        f   = σ(x W_f + h_{t-1} U_f + b_f + w_cf ⊙ c_{t-1})
        c_t = f ⊙ c_{t-1} + i ⊙ tanh(x W_c + h_{t-1} U_c + b_c)
        o   = σ(x W_o + h_{t-1} U_o + b_o + w_co ⊙ c_t)
        h_t = o ⊙ tanh(c_t)

    The candidate gate has no peephole. Arguments are those of ``keras.layers.LSTMCell`` plus
    ``peephole_initializer`` (default ``"glorot_uniform"``, as TF2's ``PeepholeLSTMCell``).
    Use it as ``keras.layers.RNN(PeepholeLSTMCell(units))``; there is no fused cuDNN kernel.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        peephole_initializer: Any = "glorot_uniform",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.peephole_initializer = initializers.get(peephole_initializer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """LSTMCell's weights plus the three diagonal peephole vectors of shape ``(units,)``."""
        super().build(input_shape)
        self.input_gate_peephole_weights = self._add_peephole("input_gate_peephole_weights")
        self.forget_gate_peephole_weights = self._add_peephole("forget_gate_peephole_weights")
        self.output_gate_peephole_weights = self._add_peephole("output_gate_peephole_weights")

    def _add_peephole(self, name: str) -> keras.Variable:
        return self.add_weight(
            shape=(self.units,), name=name, initializer=self.peephole_initializer
        )

    def _project(self, x: Any, kernel: Any) -> Any:
        """``x @ kernel``; with one dropout mask per gate (a list of 4 inputs), gate by gate.

        LSTMCell draws four masks (``dropout_mask_count = 4``) when recurrent dropout is on and
        one otherwise; mirroring that keeps this cell's dropout identical to Keras' LSTM.
        """
        if isinstance(x, (list, tuple)):
            kernels = ops.split(kernel, 4, axis=1)
            parts = [ops.matmul(xg, kg) for xg, kg in zip(x, kernels, strict=True)]
            return ops.concatenate(parts, axis=1)
        return ops.matmul(x, kernel)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        """One time step; keras.ops only, so every backend (and XLA) can trace it."""
        h_tm1, c_tm1 = states[0], states[1]
        x, h = inputs, h_tm1
        if training and 0.0 < self.dropout < 1.0:
            mask = self.get_dropout_mask(inputs)
            x = [inputs * m for m in mask] if isinstance(mask, list) else inputs * mask
        if training and 0.0 < self.recurrent_dropout < 1.0:
            mask = self.get_recurrent_dropout_mask(h_tm1)
            h = [h_tm1 * m for m in mask] if isinstance(mask, list) else h_tm1 * mask

        z = self._project(x, self.kernel) + self._project(h, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        h, c = self.carry_and_output(
            z, c_tm1, self.input_gate_peephole_weights, self.forget_gate_peephole_weights,
            self.output_gate_peephole_weights,
        )
        return h, [h, c]

    def carry_and_output(self, z: Any, c_tm1: Any, w_ci: Any, w_cf: Any,
                         w_co: Any) -> tuple[Any, Any]:
        """The gates from the pre-activations ``z`` (i, f, c, o blocks): returns ``(h, c)``.

        The peephole weights come in as arguments so that ``PeepholeLSTM`` can pass them
        already broadcast to ``(batch, units)``; the cell passes its ``(units,)`` vectors.
        """
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=1)
        i = self.recurrent_activation(z_i + w_ci * c_tm1)
        f = self.recurrent_activation(z_f + w_cf * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o + w_co * c)
        h = o * self.activation(c)
        return h, c

    def get_config(self) -> dict[str, Any]:
        """LSTMCell's config plus ``peephole_initializer``, so ``from_config`` round trips."""
        own = {"peephole_initializer": initializers.serialize(self.peephole_initializer)}
        return {**super().get_config(), **own}


# Constructor arguments of the cell (everything but ``units``), accepted by PeepholeLSTM too.
_CELL_ARGS = tuple(
    name for name in inspect.signature(PeepholeLSTMCell.__init__).parameters
    if name not in ("self", "units", "kwargs")
)


@keras.saving.register_keras_serializable(package="lstm_automl")
class PeepholeLSTM(keras.layers.RNN):
    """The peephole LSTM as a layer: ``PeepholeLSTM(units, return_sequences=..., ...)``.

    Takes the arguments of ``PeepholeLSTMCell`` (activation, initializers, ``dropout``,
    ``recurrent_dropout``, ``seed``, ``peephole_initializer``, ...) and of
    ``keras.layers.RNN`` (``return_sequences``, ``return_state``, ``go_backwards``,
    ``stateful``, ``unroll``), like ``keras.layers.LSTM``. It computes what
    ``keras.layers.RNN(PeepholeLSTMCell(units))`` computes, with the same weights in the same
    order (``kernel``, ``recurrent_kernel``, ``bias``, three peephole vectors) and the same
    dropout masks, only with fewer operations per time step (see the module docstring).
    ``get_weights``/``set_weights`` move weights between the two forms; ``.weights.h5`` files do
    not, since Keras keys them by class (``layers/rnn/cell`` against ``layers/peephole_lstm/cell``).
    """

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ) -> None:
        cell_kwargs = {name: kwargs.pop(name) for name in _CELL_ARGS if name in kwargs}
        cell = PeepholeLSTMCell(
            units, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="peephole_lstm_cell", **cell_kwargs,
        )
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs,
        )

    @property
    def units(self) -> int:
        return int(self.cell.units)

    def inner_loop(self, sequences: Any, initial_state: Any, mask: Any,
                   training: bool = False) -> Any:
        """The time loop with the weights stacked once: per step ``[x_t, 1, h] @ W``."""
        cell = self.cell
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if training and 0.0 < cell.recurrent_dropout < 1.0:
            # Four recurrent masks, one per gate: the cell's own step handles them.
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if training and 0.0 < cell.dropout < 1.0:
            dropout_mask = cell.get_dropout_mask(sequences[:, 0, :])  # drawn by RNN.call
            if isinstance(dropout_mask, (list, tuple)):  # per-gate masks (implementation=1)
                return super().inner_loop(sequences, initial_state, mask, training=training)
            sequences = sequences * ops.expand_dims(dropout_mask, 1)  # same mask every step
        blocks = [ops.convert_to_tensor(cell.kernel)]
        if cell.use_bias:  # the bias rides in the matmul on a constant input of 1
            sequences = ops.concatenate([sequences, ops.ones_like(sequences[..., :1])], axis=-1)
            blocks.append(ops.expand_dims(ops.convert_to_tensor(cell.bias), 0))
        blocks.append(ops.convert_to_tensor(cell.recurrent_kernel))
        weights = ops.concatenate(blocks, axis=0)
        # Broadcast before the loop: the gradient then sums over the batch once, not per step.
        batch_units = (ops.shape(sequences)[0], cell.units)
        w_ci, w_cf, w_co = (
            ops.broadcast_to(ops.convert_to_tensor(w), batch_units)
            for w in (cell.input_gate_peephole_weights, cell.forget_gate_peephole_weights,
                      cell.output_gate_peephole_weights)
        )

        def step(inputs: Any, states: Any) -> tuple[Any, list[Any]]:
            h_tm1, c_tm1 = states[0], states[1]
            z = ops.matmul(ops.concatenate([inputs, h_tm1], axis=1), weights)
            h, c = cell.carry_and_output(z, c_tm1, w_ci, w_cf, w_co)
            return h, [h, c]

        return keras_backend.rnn(
            step,
            sequences,
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state],
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )

    def get_config(self) -> dict[str, Any]:
        """Flat, like ``keras.layers.LSTM``: RNN's arguments plus the cell's, without ``cell``."""
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        own = {"units": self.units, **{k: cell_config[k] for k in _CELL_ARGS if k in cell_config}}
        return {**config, **own}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> PeepholeLSTM:
        return cls(**config)
