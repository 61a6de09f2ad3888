"""What the per-trial clean-up keeps: training.mixed_precision's policy for every trial."""

from __future__ import annotations

import pytest

from lstm_automl.tuning.trial_memory import clear_between_trials


@pytest.mark.backend_contract
def test_mixed_precision_survives_the_clean_up_between_trials(keras_session):
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        clear_between_trials()  # clear_session alone resets the policy to float32
        assert keras.config.dtype_policy().name == "mixed_float16"
        layer = keras.layers.LSTM(4)
        layer.build((None, 3, 2))
        assert layer.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.backend_contract
def test_finished_trials_leave_no_traced_programs_behind(keras_session):
    """On JAX, each trial's jitted train and test functions are traced anew; the clean-up drops
    what JAX's caches kept of finished trials (without it: ~3,400 JAX objects per trial of a
    new shape, bench/memory.py: several MiB per trial)."""
    import gc

    import keras
    import numpy as np

    if keras.backend.backend() != "jax":
        pytest.skip("JAX's tracing caches only")
    x = np.random.default_rng(0).normal(size=(16, 5, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]

    def jax_objects() -> int:
        return sum(str(getattr(type(o), "__module__", "") or "").startswith("jax")
                   for o in gc.get_objects())

    def trial(units: int) -> int:
        model = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(units),
                                  keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", jit_compile=True)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_split=0.25)
        del model
        clear_between_trials()
        gc.collect()
        return jax_objects()

    counts = [trial(units) for units in (2, 3, 4, 5)]  # a new shape each time, as in a sweep
    assert counts[-1] - counts[0] < 3 * 300, counts
