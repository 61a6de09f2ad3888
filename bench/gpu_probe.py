"""The GPU check's measurements inside a JAX process (bench/gpu_check.py starts them).

    python bench/gpu_probe.py preflight          # one JSON line: imports, versions, devices
    python bench/gpu_probe.py probe [--dry-run]  # one JSON line: the path Keras takes per layer

Run with ``KERAS_BACKEND=jax`` and the bundle on ``PYTHONPATH`` (bench/gpu_check.sh sets both).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any

MODULES = ("keras", "keras_tuner", "mlflow", "pydantic", "sqlalchemy", "alembic", "yaml",
           "pandas", "scipy", "statsmodels", "sklearn", "flask", "uvicorn", "jax")


def preflight() -> None:
    """Print one JSON line: what imports, with which version, and what JAX sees."""
    from importlib import import_module

    facts: dict[str, Any] = {"python": platform.python_version(), "missing": [], "versions": {}}
    for name in MODULES:
        try:
            module = import_module(name)
            facts["versions"][name] = getattr(module, "__version__", "?")
        except Exception as error:  # noqa: BLE001 - report any import failure
            facts["missing"].append(f"{name} ({type(error).__name__}: {error})"[:200])
    try:
        import jax

        facts["jax_backend"] = jax.default_backend()
        facts["devices"] = [str(d) for d in jax.devices()]
        facts["device_kind"] = jax.devices()[0].device_kind
    except Exception as error:  # noqa: BLE001
        facts["missing"].append(f"jax devices ({error})"[:200])
    try:
        import keras

        facts["keras_backend"] = keras.backend.backend()
        facts["tensorflow_imported"] = "tensorflow" in sys.modules
    except Exception as error:  # noqa: BLE001
        facts["missing"].append(f"keras ({error})"[:200])
    print(json.dumps(facts))


PROBE_LAYERS = (("lstm", False), ("gru", False), ("peephole", False), ("lstm", True),
                ("gru", True))


def probe(dry: bool) -> None:
    """Which path Keras takes for each recurrent layer on this backend and device: one JSON line.

    Wraps Keras' backend hooks (``backend.lstm``, ``gru``, ``bidirectional_lstm``,
    ``bidirectional_gru``: a backend's fast path, or NotImplementedError for the generic loop)
    and ``jax.experimental.rnn.lstm`` (the cuDNN call Keras' JAX LSTM makes), trains each model
    for one epoch, and compares with ``kernel_tags.trial_kernel``'s prediction.
    """
    import keras
    import numpy as np
    from keras.src import backend as kb

    from lstm_automl.model.backend import prepare_backend
    from lstm_automl.model.cells import make_recurrent_layer
    from lstm_automl.model.kernel_tags import gpu_visible, trial_kernel

    prepare_backend()
    calls: list[str] = []

    def spy(name: str, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                result = fn(*args, **kwargs)
            except NotImplementedError as refused:
                why = f" ({str(refused)[:60]})" if str(refused) else ""
                calls.append(f"{name}: refused{why}")
                raise
            calls.append(f"{name}: taken")
            return result
        return wrapped

    for hook in ("lstm", "gru", "bidirectional_lstm", "bidirectional_gru"):
        if hasattr(kb, hook):
            setattr(kb, hook, spy(hook, getattr(kb, hook)))
    cudnn_calls = [0]
    try:
        import jax.experimental.rnn as jrnn

        original = jrnn.lstm

        def counted(*args: Any, **kwargs: Any) -> Any:
            cudnn_calls[0] += 1
            return original(*args, **kwargs)

        jrnn.lstm = counted  # type: ignore[assignment]
    except ImportError:
        pass
    steps, samples = (20, 128) if dry else (100, 1024)
    rng = np.random.default_rng(0)
    x = rng.random((samples, steps, 2), dtype=np.float32)
    y = x[:, :, 0].mean(axis=1, keepdims=True)
    rows = []
    for precision in ("float32", "mixed_float16"):
        for family, bidirectional in PROBE_LAYERS:
            keras.mixed_precision.set_global_policy(precision)  # clear_session resets it
            calls.clear()
            cudnn_calls[0] = 0
            keras.utils.set_random_seed(1)
            layer = make_recurrent_layer(family, 32, return_sequences=False)
            if bidirectional:
                layer = keras.layers.Bidirectional(layer, dtype=layer.dtype_policy)
            model = keras.Sequential([keras.Input((steps, 2)), layer,
                                      keras.layers.Dense(1, dtype="float32")])
            model.compile(optimizer="adam", loss="mse")
            name = f"{'bidirectional ' if bidirectional else ''}{family}"
            predicted = trial_kernel({"cell": family, "bidirectional": bidirectional},
                                     gpu_visible(), "jax").kernel
            # The recurrent layer's own dtype (a Bidirectional wrapper keeps the global one).
            dtype = getattr(layer, "forward_layer", layer).compute_dtype
            try:
                start = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=1, verbose=0)
                first = time.perf_counter() - start
                start = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=1, verbose=0)
                epoch = time.perf_counter() - start
            except Exception as error:  # one layer that fails must not hide the others
                rows.append({"layer": name, "precision": precision, "ran": "failed",
                             "tag": predicted, "agrees": False, "compute_dtype": dtype,
                             "error": f"{type(error).__name__}: {str(error)[:120]}"})
                keras.backend.clear_session()
                continue
            ran = "cudnn" if cudnn_calls[0] else ("cpu" if not gpu_visible() else "generic")
            rows.append({"layer": name, "precision": precision,
                         "keras_hooks": sorted(set(calls)), "cudnn_calls": cudnn_calls[0],
                         "ran": ran, "tag": predicted, "agrees": ran == predicted,
                         "compute_dtype": dtype, "first_epoch_s": round(first, 2),
                         "epoch_s": round(epoch, 3)})
            keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    print(json.dumps({"rows": rows}))



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("preflight", "probe"))
    parser.add_argument("--dry-run", action="store_true", help="small data (CPU dry run)")
    args = parser.parse_args()
    if args.what == "preflight":
        preflight()
    else:
        probe(args.dry_run)


if __name__ == "__main__":
    main()
