"""What finished trials leave behind in TensorFlow and Python, released between trials.

The gradient registry below is TensorFlow's alone: on JAX or PyTorch it is skipped; on JAX the
tracing and compilation caches are cleared instead (``clear_jax_caches``).

Two costs grew with every trial of a long sweep in one process (bench/memory.py):

* TensorFlow registers a gradient function named ``CustomGradient-N`` in a process-wide registry
  each time a ``tf.custom_gradient`` function is traced in graph mode, and never removes it.
  Keras' TensorFlow optimizer traces one per train function (the all-reduce of the gradients in
  ``_all_reduce_sum_gradients``), and the entry's closure holds the traced train function's
  graph, so every trial's graphs (~2,500 ops and tensors) stayed reachable for good. The
  gradient is only needed while the train function is being traced; once a trial has ended its
  entries are dead weight and are dropped here.
* keras-tuner runs ``clear_session()`` and two full ``gc.collect()`` before every build. A full
  collection walks every object in the process (TensorFlow, MLflow and SQLAlchemy alone are
  ~650k), which cost seconds per trial. The objects alive when the search starts are moved to
  the permanent generation (``gc.freeze``) for the search, so each later collection only walks
  what trials created, and one collection per build is enough.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Set

from lstm_automl.model.backend import active_backend

PREFIX = "CustomGradient-"


def _registry() -> dict[str, object]:
    """TensorFlow's gradient registry; ImportError off the TensorFlow backend (JAX and PyTorch
    trace nothing into it, and importing TensorFlow there would only cost time and memory)."""
    if active_backend() != "tensorflow" or "tensorflow" not in sys.modules:
        raise ImportError("not on the TensorFlow backend")
    from tensorflow.python.framework import ops

    return ops._gradient_registry._registry  # type: ignore[no-any-return]


def custom_gradients() -> set[str]:
    """Names of the custom gradients TensorFlow holds now (empty on another backend)."""
    try:
        return {name for name in _registry() if name.startswith(PREFIX)}
    except (ImportError, AttributeError):
        return set()


def forget_custom_gradients(keep: Set[str]) -> int:
    """Drop the custom gradients registered since ``keep`` was taken; returns how many.

    Call it only when the graphs traced since then are finished with (a trial has ended).
    """
    try:
        registry = _registry()
    except (ImportError, AttributeError):
        return 0
    stale = [name for name in list(registry) if name.startswith(PREFIX) and name not in keep]
    for name in stale:
        registry.pop(name, None)
    return len(stale)


def freeze_survivors() -> None:
    """Collect once, then exempt everything alive now from later collections.

    Called before the first trial: what is alive then (modules, data, MLflow's engine) lives as
    long as the sweep, so walking it again at every build is wasted time.
    """
    gc.collect()
    gc.freeze()


def thaw() -> None:
    """Undo ``freeze_survivors`` at the end of a search (a process may go on after a sweep)."""
    gc.unfreeze()


def clear_between_trials() -> None:
    """What keras-tuner does before each build, at a fraction of the cost.

    ``clear_session`` resets Keras' global state (layer names, the default graph); one full
    collection frees the previous trial's model and graphs, which are reference cycles. The
    global dtype policy is part of that state, so ``training.mixed_precision``'s is put back:
    without it every trial after the first trained in float32 (found by bench/gpu_check.sh).
    """
    import keras

    policy = keras.config.dtype_policy()
    keras.backend.clear_session(free_memory=False)
    keras.config.set_dtype_policy(policy)
    if keras.backend.backend() == "jax":
        clear_jax_caches()
    gc.collect()


def clear_jax_caches() -> None:
    """Drop JAX's in-memory tracing and compilation caches.

    Every trial's model gets new jitted train and test functions, so nothing in these caches is
    hit again; but they kept each finished trial's jaxprs (bench/memory.py on JAX: ~3,500 Python
    objects and several MiB per trial). The compile cache on disk is not touched, so a trial whose
    program was compiled before still skips XLA.
    """
    import jax

    jax.clear_caches()
