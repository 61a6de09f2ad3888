"""Input pipelines: Keras' per-fit numpy pipeline against tf.data pipelines built once per sweep.

One process, TensorFlow warmed up first. Each round trains, side by side, the same small model
(built fresh with ``build_model`` and the same seed, as a trial would be) for the same epochs on
the same airline windows:

* **numpy**: ``model.fit(x, y, batch_size=..., validation_data=(vx, vy), shuffle=True)``, the
  path trials took before: Keras converts the arrays and builds a new pipeline every fit;
* **tf.data**: ``lstm_automl.model.training.TrialTrainer.fit``, the path trials take now: datasets
  built once (first round, a warm-up) and reused, shuffled per (trial seed, epoch).

Reported: median seconds per trial and the paired ratio tf.data / numpy (below 1: faster).
"""

from __future__ import annotations

import time
from pathlib import Path

import _common
from _common import interleaved, table

_common.quiet_env()


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, help="epochs per trial (default 10; quick 2)")
    p.add_argument("--repeats", type=int, help="timed rounds (default 8; quick 2)")
    p.add_argument("--units", type=int, default=8, help="GRU units (default 8: small trials, "
                   "where per-trial overhead shows most)")
    p.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    args = p.parse_args()
    epochs = args.epochs or (2 if args.quick else 10)
    repeats = args.repeats or (2 if args.quick else 8)
    started = time.perf_counter()

    import keras

    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data import prepare_forecast
    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.hypermodel import build_model
    from lstm_automl.model.training import TrialTrainer

    data = prepare_forecast(ForecastDataConfig(
        source="builtin:airline", lookback=12, transform="log_diff",
        split={"validation": 24}), Path("."))
    train, val = data.splits["train"], data.splits["validation"]
    shape: ModelShape = data.model_shape()
    values = {"conv_front": False, "layers": 1, "cell": "gru", "units": [args.units],
              "dropout": [0.0], "recurrent_dropout": [0.0], "bidirectional": False,
              "dense_layers": 0, "dense_units": [32], "dense_activation": "relu",
              "optimizer": "adam", "learning_rate": 0.005, "clipnorm": None, "loss": "mse"}
    trainer = TrialTrainer()

    def fresh() -> keras.Model:
        keras.backend.clear_session()  # as keras-tuner does before each trial
        keras.utils.set_random_seed(11)
        return build_model(values, shape, seed=11, jit_compile=False)

    def numpy_trial() -> None:
        fresh().fit(train.x, train.y, batch_size=args.batch, epochs=epochs, verbose=0,
                    validation_data=(val.x, val.y), shuffle=True)

    def pipeline_trial() -> None:
        trainer.fit(lambda m, *a, **k: m.fit(*a, **k), fresh(), train.x, train.y,
                    (val.x, val.y), args.batch, True, [], {"epochs": epochs, "verbose": 0})

    seconds, ratios = interleaved({"numpy": numpy_trial, "tf.data": pipeline_trial},
                                  repeats=repeats, warmup=1, baseline="numpy")
    rows = [[name, seconds[name].median, ratios[name].median] for name in seconds]
    body = [table(["input path", "median s per trial", "ratio to numpy (paired)"], rows)]
    _common.report(args, "Input pipelines: numpy per fit vs tf.data once per sweep",
                   f"airline lookback 12, GRU {args.units} units, batch {args.batch}, "
                   f"{epochs} epochs, {repeats} rounds", body, started=started)


if __name__ == "__main__":
    main()
