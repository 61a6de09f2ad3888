"""Time per training epoch of every recurrent family, per Keras backend, relative to Keras' LSTM.

Task: the adding problem (Hochreiter & Schmidhuber 1997): T steps of two channels, random values
in [0, 1) and a marker that is 1 at two positions (one in each half); the target is the sum of
the two marked values. Each model is one recurrent layer of 32 units (two for the stacked LSTM)
and a Dense(1) head, trained with Adam on MSE, batch 64.

Models are timed round robin (lstm, gru, ..., lstm, gru, ...) one epoch at a time after a warm-up
epoch (which traces, and with XLA compiles, the train step); each model's epoch time is divided
by Keras LSTM's epoch time *of the same round and compile mode*, and the median of those ratios
is reported. Keras' own ``jit_compile="auto"`` means no XLA on a CPU-only machine; lstm-sweep's
``training.jit_compile`` decides for sweeps (see lstm_automl/hypermodel.py), so both modes count.
``--quick`` times only lstm, peephole and the bidirectional LSTM.

Backends (issue 11): ``--backend tensorflow|jax|both`` (default both). Each backend trains in
its own process (bench/_backends.py); the two are driven in lockstep, so each model's epoch on
TensorFlow, TensorFlow + XLA and JAX runs back to back in every round, and ``JAX / TensorFlow``
is the median of those paired ratios. JAX is always compiled.

Target (issue 6): the peephole LSTM at most 1.10x Keras LSTM per epoch in the same compile mode.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _backends
import _common
from _common import Samples, Target, table

_common.quiet_env()

PEEPHOLE_TARGET = 1.10


def adding_problem(n: int, steps: int, seed: int = 0) -> tuple[Any, Any]:
    """x (n, steps, 2) float32: values and markers; y (n, 1): the sum of the two marked values."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = rng.random((n, steps), dtype=np.float32)
    marker = np.zeros((n, steps), dtype=np.float32)
    half = max(steps // 2, 1)
    first = rng.integers(0, half, n)
    second = rng.integers(half, steps, n)
    rows = np.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = np.stack([values, marker], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None].astype(np.float32)
    return x, y


def model_factories(units: int) -> dict[str, Callable[[], list[Any]]]:
    """name -> a function returning the recurrent layers of that model (fresh each call)."""
    import keras

    from lstm_automl.model.cells import PeepholeLSTMCell, make_recurrent_layer
    from lstm_automl.model.cells import peephole as peephole_module

    def family(name: str) -> Callable[[], list[Any]]:
        return lambda: [make_recurrent_layer(name, units, return_sequences=False)]

    factories: dict[str, Callable[[], list[Any]]] = {
        "lstm": family("lstm"),
        "gru": family("gru"),
        "simple_rnn": family("simple_rnn"),
        "peephole": family("peephole"),
    }
    # The peephole cell as the public API documents it, whatever the registry uses.
    factories["peephole cell in keras RNN"] = lambda: [
        keras.layers.RNN(PeepholeLSTMCell(units))]
    layer_class = getattr(peephole_module, "PeepholeLSTM", None)
    if layer_class is not None:
        factories["PeepholeLSTM layer"] = lambda: [layer_class(units)]
    try:  # the cell as it was before issue 6, for a before/after figure in the same run
        from _peephole_v0 import PeepholeLSTMCellV0

        factories["peephole v0 (before)"] = lambda: [keras.layers.RNN(PeepholeLSTMCellV0(units))]
    except ImportError:
        pass
    factories["bidirectional lstm"] = lambda: [
        keras.layers.Bidirectional(make_recurrent_layer("lstm", units, return_sequences=False))]
    factories["lstm x2 (stacked)"] = lambda: [
        make_recurrent_layer("lstm", units, return_sequences=True),
        make_recurrent_layer("lstm", units, return_sequences=False)]
    return factories


class EpochTimer:
    """A Keras callback that records the wall time of each epoch (no data set-up, no eval)."""

    def __new__(cls) -> Any:
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.seconds: list[float] = []
                self.cpu_seconds: list[float] = []
                self._start = self._cpu_start = 0.0

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                self._start, self._cpu_start = time.perf_counter(), time.process_time()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                self.seconds.append(time.perf_counter() - self._start)
                self.cpu_seconds.append(time.process_time() - self._cpu_start)

        return _Timer()


def build(layers: list[Any], steps: int, jit: bool, seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((steps, 2)), *layers, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", jit_compile=jit)
    return model


# A measured configuration: (backend, XLA). JAX is always compiled (jit_compile=False runs it
# op by op, tens of times slower, and lstm-sweep never does it), so it has one.
Config = tuple[str, bool]
LABELS = {("tensorflow", False): "TensorFlow", ("tensorflow", True): "TensorFlow + XLA",
          ("jax", True): "JAX"}


def serve_child(args: Any) -> None:
    """This process's backend (KERAS_BACKEND, set by the parent): build each (model, XLA) pair
    once, then time one epoch per command."""
    steps = args.steps or (10 if args.quick else 100)
    samples = args.samples or (128 if args.quick else 4096)
    import keras  # noqa: F401  (the framework import happens before the first timed call)

    from lstm_automl.model.backend import prepare_backend

    prepare_backend()
    x, y = adding_problem(samples, steps)
    factories = model_factories(args.units)
    models: dict[tuple[str, bool], Any] = {}
    timers: dict[tuple[str, bool], Any] = {}

    def names(_: dict[str, Any]) -> list[str]:
        return list(factories)

    def epoch(command: dict[str, Any]) -> list[float]:
        key = (str(command["model"]), bool(command["jit"]))
        if key not in models:
            models[key] = build(factories[key[0]](), steps, key[1], seed=1)
            timers[key] = EpochTimer()
        models[key].fit(x, y, batch_size=args.batch, epochs=1, verbose=0, shuffle=True,
                        callbacks=[timers[key]])
        return [timers[key].seconds[-1], timers[key].cpu_seconds[-1]]

    _backends.serve({"names": names, "epoch": epoch})


@dataclass
class Measured:
    """Per configuration and model: seconds per epoch, and per round the wall and CPU-time
    ratios to Keras LSTM (same configuration, same round); raw (wall, cpu) per round too."""

    seconds: dict[Config, dict[str, Samples]] = field(default_factory=dict)
    ratios: dict[Config, dict[str, Samples]] = field(default_factory=dict)
    cpu_ratios: dict[Config, dict[str, Samples]] = field(default_factory=dict)
    rounds: list[dict[Config, dict[str, tuple[float, float]]]] = field(default_factory=list)


def measure(children: dict[str, Any], configs: list[Config], names: list[str],
            rounds: int) -> Measured:
    """Warm-up epoch for every (configuration, model), then ``rounds`` rounds; within a round,
    each model's epoch runs in every configuration back to back, so a TensorFlow epoch and a
    JAX epoch of the same model are seconds apart."""
    for config in configs:
        for name in names:
            children[config[0]].ask("epoch", model=name, jit=config[1])
    out = Measured()
    for config in configs:
        out.seconds[config] = {n: Samples() for n in names}
        out.ratios[config] = {n: Samples() for n in names}
        out.cpu_ratios[config] = {n: Samples() for n in names}
    for index in range(rounds):
        this: dict[Config, dict[str, tuple[float, float]]] = {c: {} for c in configs}
        for name in names:
            for config in configs:
                wall, cpu = children[config[0]].ask("epoch", model=name, jit=config[1])
                this[config][name] = (wall, cpu)
        for config in configs:
            lstm = this[config]["lstm"]
            for name, (wall, cpu) in this[config].items():
                out.seconds[config][name].add(wall)
                out.ratios[config][name].add(wall / lstm[0])
                out.cpu_ratios[config][name].add(cpu / lstm[1])
        out.rounds.append(this)
        print(f"  round {index + 1}/{rounds}: " + "; ".join(
            f"{LABELS[c]} " + ", ".join(f"{n} {v[0]:.2f}s" for n, v in this[c].items())
            for c in configs), flush=True)
    return out


def cross_ratio(measured: Measured, a: Config, b: Config, name: str, cpu: bool = False
                ) -> Samples:
    """Per round, model ``name``'s epoch in configuration ``a`` over ``b`` (wall or CPU time)."""
    ratios = Samples()
    for this in measured.rounds:
        ratios.add(this[a][name][int(cpu)] / this[b][name][int(cpu)])
    return ratios


def _why_missed(cpu_ratio: float) -> str:
    return (f"(CPU-time ratio {cpu_ratio:.2f}x) the peephole recurrence runs Keras' generic step "
            "loop like LSTM, plus three peephole products and sums per step, forward and "
            "backward; at 32 units their dispatch cost, not arithmetic, dominates; next: a fused "
            "step kernel")


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, help="sequence length T (default 100; quick 10)")
    p.add_argument("--samples", type=int, help="training samples (default 4096; quick 128)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--rounds", type=int, help="timed epochs per model (default 5; quick 1)")
    p.add_argument("--models", help="comma-separated subset of model names (lstm always runs)")
    p.add_argument("--modes", default="nojit,jit",
                   help="TensorFlow's compile modes: nojit, jit or both (default both); JAX is "
                        "always jitted")
    _backends.add_options(p)
    args = p.parse_args()
    if args.serve:
        return serve_child(args)
    started = time.perf_counter()
    steps = args.steps or (10 if args.quick else 100)
    samples = args.samples or (128 if args.quick else 4096)
    rounds = args.rounds or (1 if args.quick else 5)
    backends = _backends.chosen(args)
    modes = [m.strip() == "jit" for m in args.modes.split(",")]
    configs: list[Config] = [(b, jit) for b in backends for jit in
                             (modes if b == "tensorflow" else [True])]
    with _backends.children(__file__, backends, sys.argv[1:]) as children:
        available = children[backends[0]].ask("names")
        names = list(available)
        if args.quick and not args.models:  # tracing and XLA compiles dominate a smoke run
            names = [n for n in names if n in ("lstm", "peephole", "bidirectional lstm")]
        if args.models:
            wanted = [n.strip() for n in args.models.split(",")]
            unknown = [n for n in wanted if n not in available]
            if unknown:
                p.error(f"unknown model(s) {unknown}; choose from {available}")
            names = ["lstm", *[n for n in wanted if n != "lstm"]]
        print(f"timing {len(names)} models in {', '.join(LABELS[c] for c in configs)}: "
              f"T={steps}, {samples} samples, batch {args.batch}, {rounds} rounds", flush=True)
        measured = measure(children, configs, names, rounds)
    body, targets = tables(measured, configs, names, args.quick)
    settings = (f"adding problem T={steps}, {samples} samples, batch {args.batch}, "
                f"{args.units} units, Adam/MSE, {rounds} timed epochs per model after 1 warm-up; "
                f"one process per backend ({_backends.backend_versions(backends)}), driven in "
                f"lockstep: each model's epoch in every configuration back to back")
    notes = ["ratios are per round (same round), then the median; 'x LSTM' < 1 means faster "
             "than Keras LSTM in the same configuration; 'JAX / TensorFlow' < 1 means JAX is "
             "faster for that model",
             "'peephole' is what the model builder uses (model.cells.CELLS['peephole']: "
             "the PeepholeLSTM layer since issue 6, so the two rows time the same layer)",
             "CPU time: the process's CPU seconds per epoch (all its threads), less moved by "
             "other load than wall time, which the targets judge",
             "JAX is always jitted (lstm-sweep compiles every JAX model; jit_compile=False "
             "would run it op by op)"]
    _common.report(args, "epoch_time: seconds per epoch per backend, relative to Keras LSTM",
                   settings, body, targets, notes, started)


def tables(measured: Measured, configs: list[Config], names: list[str], quick: bool
           ) -> tuple[list[str], list[Target]]:
    headers = ["model"]
    for config in configs:
        headers += [f"{LABELS[config]}: s/epoch", f"{LABELS[config]}: x LSTM (min..max)"]
    pairs = [(("jax", True), c) for c in configs if c[0] == "tensorflow" and ("jax", True)
             in configs]
    headers += [f"JAX / {LABELS[b]} (wall; CPU time)" for _, b in pairs]
    rows = []
    for name in names:
        row: list[Any] = [name]
        for config in configs:
            ratio = measured.ratios[config][name]
            row += [f"{measured.seconds[config][name].median:.3f}",
                    f"{ratio.median:.2f} ({ratio.spread})"]
        for a, b in pairs:
            wall = cross_ratio(measured, a, b, name)
            cpu = cross_ratio(measured, a, b, name, cpu=True)
            row.append(f"{wall.median:.2f} ({wall.spread}); {cpu.median:.2f}")
        rows.append(row)
    targets = []
    for config in configs:
        for name in [n for n in ("peephole", "PeepholeLSTM layer") if n in names]:
            value = measured.ratios[config][name].median
            met = None if quick else value <= PEEPHOLE_TARGET
            why = "" if met or met is None else _why_missed(
                measured.cpu_ratios[config][name].median)
            targets.append(Target(f"'{name}' <= {PEEPHOLE_TARGET:.2f}x Keras LSTM per epoch, "
                                  f"{LABELS[config]}", f"measured {value:.3f}x", met, why))
    return [table(headers, rows)], targets


if __name__ == "__main__":
    main()
