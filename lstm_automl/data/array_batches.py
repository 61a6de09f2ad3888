"""Training batches without tf.data, for the JAX and PyTorch backends.

``ArrayBatches`` is a ``keras.utils.PyDataset`` over NumPy arrays that keeps what the tf.data
pipelines promise (``pipeline.py``): the order of an epoch is a function of (trial seed, epoch)
alone, read from a holder that ``EpochSeed`` sets as each epoch begins, so a retried, resumed
or remote trial sees the same batches as in an uninterrupted sweep. The orders differ from
TensorFlow's (NumPy's generator, not ``stateless_shuffle``): same semantics, other draws.

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
                 seed: EpochSeedHolder) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self._order_for: tuple[int, int] | None = None
        self._order: np.ndarray | None = None

    @property
    def num_batches(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __len__(self) -> int:
        return self.num_batches

    def order(self) -> np.ndarray | None:
        """This epoch's row order (None: the arrays' own order), drawn once per epoch."""
        if not self.shuffle:
            return None
        if self._order_for != self.seed.value:
            self._order_for = self.seed.value
            rng = np.random.default_rng([self.seed.value[0], self.seed.value[1]])
            self._order = rng.permutation(len(self.x))
        return self._order

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        order = self.order()
        if order is None:
            return self.x[window], self.y[window]
        rows = order[window]
        return self.x[rows], self.y[rows]
