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
