"""Input pipelines, built once per sweep and shared by every trial: tf.data on TensorFlow, a
``keras.utils.PyDataset`` over the NumPy arrays on JAX and PyTorch (``array_batches.py``).

Keras turns numpy arrays into a new pipeline (and a new copy of the data) on every ``fit``. Here
each training or validation array pair becomes tensors once, and its batched, prefetched
pipeline is built once per batch size (batch size is searchable) and reused by every trial that
trains on it.

The shuffle order of an epoch is a stateless function of (trial seed, epoch): the pipeline reads
both from a variable that ``EpochSeed`` sets at the start of each epoch. So a trial sees the same
batches whatever ran before it in this process: a retried or resumed trial, or one run by another
worker, trains exactly as it would have in an uninterrupted sweep. TensorFlow (or Keras) is
imported only when a pipeline is built (the data package stays NumPy-only for ``validate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class _Source:
    """One array pair as tensors (kept with the arrays, so a reused id() is never confused)."""

    x: np.ndarray
    y: np.ndarray
    tensors: tuple[Any, Any]
    batched: dict[tuple[int, bool], Any] = field(default_factory=dict)


class Pipelines:
    """A small cache of datasets keyed by (arrays, batch size, shuffled)."""

    def __init__(self) -> None:
        self._sources: dict[int, _Source] = {}
        self._seed: Any = None  # tf.Variable [trial seed, epoch], shared by every pipeline

    @property
    def seed_variable(self) -> Any:
        """What ``EpochSeed`` assigns: a tf.Variable on TensorFlow, a plain holder elsewhere."""
        if self._seed is None and not _on_tensorflow():
            from lstm_automl.data.array_batches import EpochSeedHolder  # defers keras

            self._seed = EpochSeedHolder()
        if self._seed is None:
            import tensorflow as tf

            self._seed = tf.Variable([0, 0], dtype=tf.int64, trainable=False,
                                     name="epoch_shuffle_seed")
        return self._seed

    def _source(self, x: np.ndarray, y: np.ndarray) -> _Source:
        found = self._sources.get(id(x))
        if found is None or found.x is not x or found.y is not y:
            import tensorflow as tf

            found = _Source(x, y, (tf.constant(x), tf.constant(y)))
            self._sources[id(x)] = found
        return found

    def dataset(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool,
                pad: bool = False) -> Any:
        """Batches of (x, y); shuffled per epoch by ``seed_variable`` when ``shuffle``; with
        ``pad`` (off TensorFlow only) every batch full, with sample weights (``array_batches``)."""
        if not _on_tensorflow():
            return self._array_batches(x, y, batch_size, shuffle, pad)
        import tensorflow as tf

        source = self._source(x, y)
        key = (batch_size, shuffle)
        if key in source.batched:
            return source.batched[key]
        features, targets = source.tensors
        count = len(x)
        batches = -(-count // batch_size)
        if shuffle:
            seed = self.seed_variable

            def order(_: Any) -> Any:
                return tf.random.experimental.stateless_shuffle(
                    tf.range(count, dtype=tf.int64), seed=seed.read_value())

            indices = tf.data.Dataset.from_tensors(0).map(order).unbatch()
        else:
            indices = tf.data.Dataset.range(count)
        dataset = (indices.batch(batch_size)
                   .map(lambda rows: (tf.gather(features, rows), tf.gather(targets, rows)),
                        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                   .apply(tf.data.experimental.assert_cardinality(batches)))
        if not shuffle:
            dataset = dataset.cache()  # the same batches every epoch: assemble them once
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
        source.batched[key] = dataset
        return dataset

    def _array_batches(self, x: np.ndarray, y: np.ndarray, batch_size: int,
                       shuffle: bool, pad: bool) -> Any:
        """The JAX and PyTorch path: a PyDataset over the arrays (``array_batches.py``)."""
        from lstm_automl.data.array_batches import ArrayBatches  # defers keras

        source = self._sources.get(id(x))
        if source is None or source.x is not x or source.y is not y:
            source = _Source(x, y, (x, y))
            self._sources[id(x)] = source
        key = (batch_size, shuffle, pad)
        if key not in source.batched:
            source.batched[key] = ArrayBatches(x, y, batch_size, shuffle, self.seed_variable,
                                               pad)
        return source.batched[key]


def _on_tensorflow() -> bool:
    import keras  # pipelines are built for training only: Keras is loaded by then

    return bool(keras.backend.backend() == "tensorflow")


def epoch_seed_callback(pipelines: Pipelines, trial_seed: int) -> Any:
    """A Keras callback that sets the shuffle seed to (trial_seed, epoch) as each epoch begins."""
    import keras

    variable = pipelines.seed_variable

    class EpochSeed(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            variable.assign([trial_seed, epoch])

    return EpochSeed()
