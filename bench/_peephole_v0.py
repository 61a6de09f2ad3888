"""The peephole cell as it was before issue 6 ("Fast sweeps"), frozen for before/after timings.

A verbatim copy of ``lstm_automl.model.cells.peephole.PeepholeLSTMCell`` at version 0.1.0 (one input
and one recurrent matmul per step inside ``keras.layers.RNN``), renamed and not registered for
saving. ``bench/epoch_time.py`` times it next to the current implementation; delete this file
once the before/after comparison is no longer interesting.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import initializers, ops


class PeepholeLSTMCellV0(keras.layers.LSTMCell):
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
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=1)

        i = self.recurrent_activation(z_i + self.input_gate_peephole_weights * c_tm1)
        f = self.recurrent_activation(z_f + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o + self.output_gate_peephole_weights * c)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """LSTMCell's config plus ``peephole_initializer``, so ``from_config`` round trips."""
        own = {"peephole_initializer": initializers.serialize(self.peephole_initializer)}
        return {**super().get_config(), **own}
