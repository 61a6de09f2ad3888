"""Which kernel a trial's recurrent layers run: cuDNN, Keras' generic loop on GPU, or CPU.

On a GPU, Keras 3 (TensorFlow backend) runs ``LSTM`` and ``GRU`` on the fused cuDNN kernel, many
times faster than its generic per-step loop, but only when every condition holds (see
``keras/src/layers/rnn/lstm.py`` ``inner_loop`` and ``keras/src/backend/tensorflow/rnn.py``
``cudnn_ok``/``lstm``/``gru``): tanh activation, sigmoid recurrent activation, ``unroll=False``,
``use_bias=True``, ``reset_after=True`` for GRU, ``recurrent_dropout == 0``, and a mask (if any)
that is right-padded with no empty sequence. The model builder keeps the defaults of the last
four and builds right-padded masks, so what a sweep can change is the cell family, the
``activation`` and recurrent dropout; the peephole LSTM and the simple RNN have no cuDNN kernel
at all.

On JAX only ``LSTM`` has a cuDNN path, only without a mask and only in float32 (under mixed
precision lstm-sweep keeps LSTM layers float32 on JAX, ``model/cells``); see
``CUDNN_BY_BACKEND``.

This module never imports a framework (``lstm-sweep validate`` uses it); ``gpu_visible`` asks
the backend's framework only when it is already imported, else looks for NVIDIA device files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lstm_automl.config.params import layer_values, split_layer_key
from lstm_automl.errors import ConfigError
from lstm_automl.model.backend import active_backend, choose_backend

KernelName = Literal["cudnn", "generic", "cpu"]

# Families Keras can hand to cuDNN (keras.layers.LSTM / GRU with default activations).
CUDNN_FAMILIES = ("lstm", "gru")


@dataclass(frozen=True)
class KernelChoice:
    """The kernel the recurrent layers of one trial run, and why (one short clause)."""

    kernel: KernelName
    reason: str


def _numbers(values: Mapping[str, Any], name: str) -> list[float]:
    """Every value of ``name`` in ``values``: a scalar, a per-layer list, or ``name_0``... keys."""
    found: list[float] = []
    for key, value in values.items():
        split = split_layer_key(key)
        if key != name and not (split and split[0] == name):
            continue
        items: Iterable[Any] = value if isinstance(value, (list, tuple)) else [value]
        found += [float(v) for v in items if v is not None]
    return found


def trial_cells(values: Mapping[str, Any]) -> list[str]:
    """The distinct cell families of a trial's recurrent layers, in layer order (``cell`` shared
    or ``cell_0``, ``cell_1``... per layer)."""
    return list(dict.fromkeys(str(c) for c in layer_values(dict(values), "cell"))) or ["None"]


def cell_label(values: Mapping[str, Any], missing: str = "None") -> str:
    """The ``cell`` tag and run-name part of a trial: ``gru``, or ``lstm/gru`` per layer."""
    return "/".join(str(c) for c in layer_values(dict(values), "cell")) or missing


# Families each backend hands to cuDNN on a GPU. Keras 3.15's JAX backend has a cuDNN LSTM
# (``keras/src/backend/jax/rnn.py``, through ``jax.experimental.rnn``) but runs GRU as a fused
# ``lax.scan``, and neither with a mask; PyTorch's has cuDNN LSTM and GRU.
CUDNN_BY_BACKEND = {"tensorflow": CUDNN_FAMILIES, "jax": ("lstm",), "torch": CUDNN_FAMILIES}
# The ``activation`` each backend's cuDNN path takes: tanh only (``cudnn_ok`` in
# ``keras/src/backend/tensorflow/rnn.py`` and ``keras/src/backend/jax/rnn.py``).
CUDNN_ACTIVATIONS = {"tensorflow": ("tanh",), "jax": ("tanh",), "torch": ("tanh",)}


def trial_kernel(values: Mapping[str, Any], gpu: bool, backend: str = "tensorflow",
                 masked: bool = False) -> KernelChoice:
    """Which kernel the recurrent layers of a trial with these hyperparameter ``values`` run.

    ``values`` is a trial's values (``cell`` and ``recurrent_dropout`` as one value, a per-layer
    list or ``cell_N``/``recurrent_dropout_N`` keys: cuDNN only when every layer can); ``gpu``
    whether the backend sees a GPU; ``masked`` whether the data is padded (``ModelShape.masked``):
    the recurrent layers then get a padding mask, unless ``dimension_shuffle`` turned the steps
    into features.
    """
    cells = trial_cells(values)
    if not gpu:
        return KernelChoice("cpu", "no GPU visible: Keras' generic loop on the CPU")
    families = CUDNN_BY_BACKEND.get(backend, ())
    slow = [c for c in cells if c not in families]
    if slow:  # one layer off cuDNN is enough to make the trial slow
        return KernelChoice("generic", f"{' and '.join(slow)} has no cuDNN kernel on {backend} "
                                       f"(only {' and '.join(families) or 'none'} there)")
    if any(v > 0 for v in _numbers(values, "recurrent_dropout")):
        return KernelChoice("generic", "recurrent_dropout > 0 rules out cuDNN")
    activation = str(values.get("activation") or "tanh")
    if activation not in CUDNN_ACTIVATIONS.get(backend, ("tanh",)):
        return KernelChoice("generic", f"activation {activation} rules out cuDNN on {backend} "
                                       f"(tanh only)")
    if masked and backend != "tensorflow" and not values.get("dimension_shuffle"):
        return KernelChoice("generic", f"padding masks rule out cuDNN on {backend}")
    return KernelChoice("cudnn", f"{cell_label(values)} with tanh activation, no "
                                 f"recurrent dropout")


def gpu_visible() -> bool:
    """Whether a GPU is usable, without importing a framework that is not loaded yet.

    With the backend's framework imported (TensorFlow, JAX or PyTorch) this is its own answer;
    otherwise a cheap guess from the NVIDIA device files and ``CUDA_VISIBLE_DEVICES``.
    """
    backend = active_backend()
    module = sys.modules.get({"jax": "jax", "torch": "torch"}.get(backend, "tensorflow"))
    if module is not None and backend == "jax" and hasattr(module, "default_backend"):
        return module.default_backend() == "gpu"
    if module is not None and backend == "torch" and hasattr(module, "cuda"):
        return bool(module.cuda.is_available())
    if module is not None and hasattr(module, "config"):
        return bool(module.config.list_physical_devices("GPU"))
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/version").exists()


def space_kernel_notes(specs: Mapping[str, Any], backend: str = "tensorflow") -> list[str]:
    """Notes when the search space sends trials to the slow (non-cuDNN) path on a GPU with
    ``backend`` (the families each backend hands to cuDNN differ: ``CUDNN_BY_BACKEND``).

    ``specs`` are the sweep's parameter specs (``SearchConfig.specs()``); read-only, no TF.
    """
    from lstm_automl.config.schema import spec_values  # defers pydantic

    families = CUDNN_BY_BACKEND.get(backend, CUDNN_FAMILIES)
    notes: list[str] = []
    cells = [str(c) for c in (spec_values(specs["cell"]) or [])]
    slow = [c for c in cells if c not in families]
    if slow:
        which = " and ".join(slow)
        fast = [c for c in cells if c in families]
        per_layer = getattr(specs["cell"], "per_layer", False)
        trials = f"trials with any {which} layer" if per_layer else f"{which} trials"
        tail = f"; {' and '.join(fast)} use cuDNN" if fast and not per_layer else (
            f"; only trials whose every layer is {' or '.join(fast)} use cuDNN" if fast else "")
        notes.append(f"search.cell: on a GPU with {backend}, {trials} run Keras' generic "
                     f"step loop, several times slower than cuDNN{tail}")
    if any(c in families for c in cells) and _can_be_positive(specs["recurrent_dropout"]):
        names = "/".join(families)
        notes.append(f"search.recurrent_dropout: can be > 0, which takes {names} trials off "
                     "cuDNN onto the generic loop on a GPU (use dropout instead to keep cuDNN)")
    allowed = CUDNN_ACTIVATIONS.get(backend, ("tanh",))
    others = [str(a) for a in spec_values(specs.get("activation", "tanh")) or []
              if str(a) not in allowed]
    if any(c in families for c in cells) and others:
        notes.append(f"search.activation: {', '.join(others)} takes {'/'.join(families)} "
                     f"trials off cuDNN onto the generic loop on a GPU with {backend} (cuDNN "
                     f"runs tanh only)")
    return notes


def planned_backend(configured: str = "auto") -> str:
    """The backend a sweep with ``training.backend: configured`` would run here, without
    importing a framework (TensorFlow's rules where none could be chosen)."""

    try:
        return choose_backend(configured).name
    except ConfigError:
        return "tensorflow"


def _can_be_positive(spec: Any) -> bool:
    """Whether a numeric spec (fixed value, choice, int or float range, or one per layer)
    allows a value > 0."""
    from lstm_automl.config.schema import (  # defers pydantic
        FloatSpec,
        IntSpec,
        layer_parts,
        spec_values,
    )

    parts = layer_parts(spec)
    if len(parts) > 1 or parts[0] is not spec:
        return any(_can_be_positive(part) for part in parts)
    if isinstance(spec, FloatSpec):
        return float(spec.float_[1]) > 0
    if isinstance(spec, IntSpec):
        return int(spec.int_[1]) > 0
    values = spec_values(spec)
    if values is None:
        return False
    return any(v is not None and float(v) > 0 for v in values)


def kernel_tag(values: Mapping[str, Any], masked: bool = False) -> str:
    """The ``kernel`` tag of a trial's MLflow run: ``cudnn``, ``generic`` or ``cpu``, for the
    backend this process runs."""
    return trial_kernel(values, gpu_visible(), active_backend(), masked).kernel
