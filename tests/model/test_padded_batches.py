"""One train-step program per trial on JAX (issue 25): the last batch is padded with zero-weight
rows, and the epoch's loss and metrics still equal the unpadded computation.

The test process trains on its own backend (TensorFlow by default, JAX in CI's backend_contract
rerun); ``test_on_jax_from_a_tensorflow_process`` runs the same check on JAX in a subprocess so
that the default run covers JAX too.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_automl.model.backend import installed

ROWS, VAL_ROWS, BATCH = 11, 7, 4  # 3 train batches (4, 4, 3) and 2 validation ones (4, 3)


class _CompileLog(logging.Handler):
    """JAX's own compile log (``jax_log_compiles``): one line per program compiled."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def count(self, function: str) -> int:
        return sum(line.startswith(f"Compiling jit({function})") for line in self.lines)


def _model(weights: list[Any] | None = None) -> Any:
    import keras

    from lstm_automl.model.padded_batches import compiled_metrics

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(3),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse",
                  **compiled_metrics(["mae"]))  # as build_model compiles
    if weights is not None:
        model.set_weights(weights)
    return model


def padded_versus_unpadded() -> dict[str, Any]:
    """One epoch from the same weights, padded and unpadded; what each reported, the padded
    model's validation figures against a one-batch evaluation, and the compile counts."""
    import keras

    from lstm_automl.model.padded_batches import pads_exactly
    from lstm_automl.model.training import TrialTrainer

    on_jax = keras.backend.backend() == "jax"
    log = _CompileLog()
    if on_jax:
        import jax

        jax.config.update("jax_log_compiles", True)
        logging.getLogger("jax").addHandler(log)
        logging.getLogger("jax").setLevel(logging.DEBUG)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, 5, 2)).astype("float32")
    y = rng.normal(size=(ROWS, 1)).astype("float32")
    xv = rng.normal(size=(VAL_ROWS, 5, 2)).astype("float32")
    yv = rng.normal(size=(VAL_ROWS, 1)).astype("float32")
    padded = _model()
    unpadded = _model(padded.get_weights())
    trainer = TrialTrainer()
    np.random.seed(0)
    history = trainer.fit(keras.Model.fit, padded, x, y, (xv, yv), BATCH, True, [],
                          {"epochs": 1, "verbose": 0}, pad=True)
    train_compiles = log.count("train_step")
    np.random.seed(0)
    plain = trainer.fit(keras.Model.fit, unpadded, x, y, (xv, yv), BATCH, True, [],
                        {"epochs": 1, "verbose": 0}, pad=False)
    whole = padded.evaluate(xv, yv, batch_size=VAL_ROWS, verbose=0, return_dict=True)
    if on_jax:
        logging.getLogger("jax").removeHandler(log)
        jax.config.update("jax_log_compiles", False)
    last = trainer.pipelines.dataset(x, y, BATCH, True, True)[2] if on_jax else ()
    return {"backend": keras.backend.backend(), "train_compiles": train_compiles,
            "pads": pads_exactly(padded),
            "padded": {k: float(v[0]) for k, v in history.history.items()},
            "unpadded": {k: float(v[0]) for k, v in plain.history.items()},
            "validation_in_one_batch": {k: float(v) for k, v in whole.items()},
            "last_batch": [len(last), len(last[0]) if last else 0]}


def _check(found: dict[str, Any]) -> None:
    padded, unpadded = found["padded"], found["unpadded"]
    # the epoch's training figures come before the last update: the same in both runs
    assert padded["loss"] == pytest.approx(unpadded["loss"], rel=1e-5)
    assert padded["mae"] == pytest.approx(unpadded["mae"], rel=1e-5)
    # validation after the update: the padded batches give the mean over the real rows
    whole = found["validation_in_one_batch"]
    assert padded["val_loss"] == pytest.approx(whole["loss"], rel=1e-5)
    assert padded["val_mae"] == pytest.approx(whole["mae"], rel=1e-5)
    if found["backend"] == "jax":
        assert found["pads"]
        assert found["train_compiles"] == 1  # not 2: the last batch has the full shape
        assert found["last_batch"] == [3, BATCH]  # (x, y, weights), filled up to the batch
    else:  # TensorFlow never pads: its trials train exactly as before
        assert not found["pads"]
        assert padded == pytest.approx(unpadded, rel=1e-6)


@pytest.mark.backend_contract
def test_padded_last_batch_keeps_loss_and_metrics_exact():
    _check(padded_versus_unpadded())


@pytest.mark.skipif(not installed("jax"), reason="jax is not installed")
def test_on_jax_from_a_tensorflow_process(tmp_path: Path):
    here = Path(__file__).resolve().parent
    code = (f"import json, sys; sys.path.insert(0, {str(here)!r}); "
            "from test_padded_batches import padded_versus_unpadded; "
            "print('RESULT=' + json.dumps(padded_versus_unpadded()))")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_ENABLE_COMPILATION_CACHE": "false"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("RESULT=")][-1]
    found = json.loads(line.removeprefix("RESULT="))
    assert found["backend"] == "jax"
    _check(found)
