"""LSTM-FCN's convolutional branch and dimension shuffle (Karim et al. 2018), beside the
recurrent stack of ``hypermodel._network``.

On a few dozen long sequences a recurrent network alone trains poorly; three convolution blocks
pooled over the whole sequence learn shape features from few examples, and the recurrent stack
adds what they miss. The branch reads what the recurrent stack would (the window after any
``window_norm``, before the ``conv_front``), so it works for every task.

Padded sequences of unequal length (``ModelShape.masked``): each BatchNorm takes its statistics
over real steps only, padded steps are set back to zero after each block (so the next
convolution sees the zeros that a shorter sequence's ``same`` padding would give it), and the
pooling averages real steps only: a padded sequence gets the prediction its unpadded self would.
"""

from __future__ import annotations

from typing import Any

import keras

# (filters as a multiple of ``fcn_filters``, kernel size) of each block, as in the paper.
FCN_BLOCKS = ((1, 8), (2, 5), (1, 3))
# BatchNorm's moving statistics, which predictions use, follow the batches at this rate. Keras'
# 0.99 keeps 60% of their initial values after 50 optimizer steps: on a few dozen sequences (5
# steps an epoch) early stopping judged models whose statistics had not settled yet.
BN_MOMENTUM = 0.9


def fcn_branch(x: Any, filters: int, mask: Any = None) -> Any:
    """The pooled output of the three blocks on ``x`` (batch, steps, channels): (batch,
    filters). ``mask``: True at real steps of padded sequences, or None."""
    for index, (scale, kernel) in enumerate(FCN_BLOCKS):
        x = keras.layers.Conv1D(filters * scale, kernel, padding="same",
                                kernel_initializer="he_uniform", name=f"fcn_conv_{index}")(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM,
                                            name=f"fcn_norm_{index}")(x, mask=mask)
        x = keras.layers.Activation("relu", name=f"fcn_relu_{index}")(x)
        if mask is not None:
            x = _zero_padded_steps(x, mask)
    return keras.layers.GlobalAveragePooling1D(name="fcn_pool")(x, mask=mask)


def _zero_padded_steps(x: Any, mask: Any) -> Any:
    """``x`` with the steps after each sequence's end set to zero, as they were in the input."""
    ops = keras.ops
    return ops.multiply(x, ops.cast(ops.expand_dims(mask, -1), x.dtype))


def dimension_shuffle(x: Any) -> Any:
    """(batch, steps, channels) -> (batch, channels, steps): the recurrent stack then reads one
    step per channel (a univariate window is one step with every value as a feature)."""
    return keras.layers.Permute((2, 1), name="dimension_shuffle")(x)


def join_branches(recurrent: Any, convolutional: Any) -> Any:
    """The recurrent stack's output and the pooled FCN features side by side, for the head."""
    return keras.layers.Concatenate(name="fcn_concat")([recurrent, convolutional])
