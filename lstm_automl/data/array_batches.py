"""Training batches without tf.data, for the JAX and PyTorch backends.

``ArrayBatches`` is a ``keras.utils.PyDataset`` over NumPy arrays that keeps what the tf.data
pipelines promise (``pipeline.py``): the order of an epoch is a function of (trial seed, epoch)
alone, read from a holder that ``EpochSeed`` sets as each epoch begins, so a retried, resumed
or remote trial sees the same batches as in an uninterrupted sweep. The orders differ from
TensorFlow's (NumPy's generator, not ``stateless_shuffle``): same semantics, other draws.

With ``pad`` every batch has ``batch_size`` rows and a third part, per-row sample weights: 1 for
the data's rows, 0 for the rows that fill the last batch up (copies of that batch's first row).
JAX compiles one program per input shape, so without it every trial compiles its train and test
steps twice (full batches, then the shorter last one). Zero-weight rows add nothing to the loss
or to a weighted metric; what they change is said in ``model/padded_batches.py``, which decides
when padding is exact and corrects the epoch's mean loss.

Keras runs a PyDataset with one worker and no multiprocessing in the training thread, and asks
for a batch only after ``on_epoch_begin``, so the order is always read after the seed is set.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


class EpochSeedHolder:
    """The (trial seed, epoch) pair every ``ArrayBatches`` of a sweep reads its order from."""

    def __init__(self) -> None:
        self.value: tuple[int, int] = (0, 0)

    def assign(self, value: Any) -> None:
        self.value = (int(value[0]), int(value[1]))


class ArrayBatches(keras.utils.PyDataset):
    """Batches of (x, y) rows; shuffled per epoch by ``seed`` when ``shuffle``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool,
                 seed: EpochSeedHolder, pad: bool = False) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.pad = pad
        self._ones = np.ones(batch_size, np.float32)
        self._order_for: tuple[int, int] | None = None
        self._order: np.ndarray | None = None

    @property
    def num_batches(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __len__(self) -> int:
        return self.num_batches

    @property
    def padded_rows(self) -> int:
        """Rows the batches of one epoch hold, fill rows included (``len(x)`` unpadded)."""
        return self.num_batches * self.batch_size if self.pad else len(self.x)

    def order(self) -> np.ndarray | None:
        """This epoch's row order (None: the arrays' own order), drawn once per epoch."""
        if not self.shuffle:
            return None
        if self._order_for != self.seed.value:
            self._order_for = self.seed.value
            rng = np.random.default_rng([self.seed.value[0], self.seed.value[1]])
            self._order = rng.permutation(len(self.x))
        return self._order

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        order = self.order()
        rows = np.arange(len(self.x))[window] if order is None else order[window]
        if not self.pad:
            return (self.x[window], self.y[window]) if order is None else \
                (self.x[rows], self.y[rows])
        if len(rows) == self.batch_size:
            return self.x[rows], self.y[rows], self._ones
        fill = self.batch_size - len(rows)
        weights = np.concatenate([self._ones[:len(rows)], np.zeros(fill, np.float32)])
        rows = np.concatenate([rows, np.full(fill, rows[0])])
        return self.x[rows], self.y[rows], weights
