"""Keras backends: which one a run takes and why, a JAX run with TensorFlow unimportable, and
models that move between backends with the same numbers.

The backend is fixed per process, so what needs the other backend runs in a subprocess; both
directions run in the default (TensorFlow) test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, write_sweep
from lstm_automl.cli import main
from lstm_automl.model import backend
from lstm_automl.model.backend import (
    ENV,
    INHERITED_ENV,
    BackendChoice,
    choose_backend,
    installed,
    select_backend,
)

HAS_JAX = installed("jax")
needs_jax = pytest.mark.skipif(not HAS_JAX, reason="jax is not installed (pip install -e '.[jax]')")
# Same model, same weights, another backend: float32 rounding only. Scaled network outputs are
# compared absolutely, forecasts in original units (Nile flow, ~1000) relatively.
ATOL_SCALED = 1e-5
RTOL_ORIGINAL = 1e-5

SWEEP = """
name: {name}
seed: 5
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: peephole
  units: 4
  bidirectional: true
tuner: {{algorithm: random, max_trials: 1}}
training: {{epochs: 2, early_stopping_patience: null{training}}}
tracking: {{champion_must_beat_baseline: false}}
"""


def sweep_text(name: str, training: str = "") -> str:
    return SWEEP.format(name=name, training=training)


# ----------------------------------------------------------------- choosing (no framework)
@pytest.fixture()
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """As in a process where Keras is not imported yet and nothing chose a backend."""
    monkeypatch.setattr(backend, "imported_backend", lambda: None)
    monkeypatch.setattr(backend, "_selected", None)
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(INHERITED_ENV, raising=False)
    return monkeypatch


def test_flag_then_config_then_environment_then_auto(fresh_process: pytest.MonkeyPatch) -> None:
    fresh_process.setattr(backend, "installed", lambda name: name in ("tensorflow", "jax"))
    auto = choose_backend()
    assert auto.name == "jax" and auto.reason.startswith("auto: fastest installed")
    assert "jax 0.80 s, tensorflow 1.8-2.6 s" in auto.reason
    fresh_process.setenv(ENV, "tensorflow")
    assert choose_backend() == BackendChoice("tensorflow", f"{ENV} set in the environment")
    assert choose_backend("jax") == BackendChoice(
        "jax", f"training.backend; overrides {ENV}=tensorflow")
    assert choose_backend("jax", flag="torch").name == "torch"
    assert choose_backend("jax", flag="auto").name == "tensorflow"  # --backend auto: not config
    fresh_process.setattr(backend, "installed", lambda name: name == "tensorflow")
    fresh_process.delenv(ENV)
    assert choose_backend().name == "tensorflow"  # no JAX: TensorFlow


def test_a_child_runs_what_its_parent_chose(fresh_process: pytest.MonkeyPatch) -> None:
    fresh_process.setattr(backend, "installed", lambda name: True)
    parent = select_backend("auto", flag="jax")
    assert os.environ[ENV] == "jax"
    child = backend.child_env()
    fresh_process.delenv(ENV)
    for key, value in child.items():
        fresh_process.setenv(key, value)
    # The child reads the same sweep file (training.backend: tensorflow) but keeps jax.
    assert choose_backend("tensorflow") == parent == BackendChoice("jax", "--backend")


def test_installed_sees_a_blocked_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert installed("torch") is False
    assert installed("tensorflow") is True  # the default test process runs it


def test_explicit_backend_other_than_the_imported_one_is_refused(tmp_path: Path, capsys) -> None:
    import keras

    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    if not installed(other):
        pytest.skip(f"{other} is not installed")
    path = write_sweep(tmp_path, sweep_text("refused", f", backend: {other}"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: training.backend: {other}, but Keras is already imported" in err
    assert f"start a fresh process with {ENV}={other}" in err
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.yaml"]  # nothing created


def test_unknown_and_missing_backends_exit_2_before_anything_is_written(tmp_path: Path,
                                                                        capsys) -> None:
    path = write_sweep(tmp_path, sweep_text("bad", ", backend: theano"))
    assert main(["validate", "--no-data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "training.backend" in err and "expected one of: auto, tensorflow, jax, torch" in err
    if not installed("torch"):
        good = write_sweep(tmp_path, sweep_text("missing"), name="missing.yaml")
        assert main(["run", str(good), "--backend", "torch"]) == 2
        assert "--backend: torch is not installed (pip install torch)" in capsys.readouterr().err
    assert {p.name for p in tmp_path.iterdir()} <= {"missing.yaml", "sweep.yaml"}


def test_validate_says_which_backend_run_would_take(tmp_path: Path, capsys) -> None:
    path = write_sweep(tmp_path, sweep_text("shown", ", backend: torch"))
    assert main(["validate", "--no-data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\nbackend: torch (training.backend" in out
    if not installed("torch"):
        assert "note: training.backend: torch is not installed here" in out


# ---------------------------------------------------------- the run on JAX, TensorFlow absent
BLOCK_TENSORFLOW = """
import sys


class _NoTensorFlow:
    \"\"\"As on a machine without TensorFlow; every attempt to import it is reported.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith(("tensorflow.", "tensorboard")):
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_name != "_find_and_load":
                frame = frame.f_back
            if frame is not None:  # an import statement, not a look-up (importlib.util)
                sys.stderr.write(f"TENSORFLOW_IMPORT_ATTEMPT {name}\\n")
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None


sys.meta_path.insert(0, _NoTensorFlow())
"""


def _env(tmp_path: Path, block_tensorflow: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", ENV)}
    paths = [str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    if block_tensorflow:
        shim = tmp_path / "no_tensorflow"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(BLOCK_TENSORFLOW)
        paths.insert(0, str(shim))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


PREDICT_SCRIPT = """
import sys
import numpy as np
from lstm_automl.cli import main

model, history, out, windows, raw_out = sys.argv[1:6]
code = main(["predict", "--model", model, "--input", history, "--output", out] + sys.argv[6:])
import keras, mlflow
print("BACKEND", keras.backend.backend())
loaded = mlflow.pyfunc.load_model(model)
np.save(raw_out, loaded.predict(np.load(windows)))
sys.exit(code)
"""


def _history_and_windows(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """The last 12 years before the test split as a raw table, and test windows as scaled."""
    from lstm_automl.data import load_data
    from lstm_automl.sweep_file.loader import load_sweep

    data = load_data(load_sweep(tmp_path / f"{name}.yaml"))
    end = int(data.splits["test"].index[0])
    history = tmp_path / "history.csv"
    pd.DataFrame({"year": data.time_values[end - 12:end],
                  "volume": data.series[end - 12:end]}).to_csv(history, index=False)
    windows = tmp_path / "windows.npy"
    np.save(windows, data.splits["test"].x[:5].astype("float32"))
    return history, windows


# Runs ``lstm-sweep run ARGS`` first, in the same process (one JAX start instead of two).
RUN_FIRST = """
import sys
from lstm_automl.cli import main

if main(sys.argv[sys.argv.index("--run") + 1:]) != 0:
    sys.exit("the run failed")
sys.argv = sys.argv[:sys.argv.index("--run")]
"""


def _predict_in(tmp_path: Path, where: str, model: str, history: Path, windows: Path,
                backend_name: str, block_tensorflow: bool = False, run: tuple[str, ...] = (),
                ) -> tuple[np.ndarray, np.ndarray, str]:
    """``lstm-sweep predict`` and the pyfunc on scaled windows, in a fresh process (after
    ``lstm-sweep run RUN`` there when given); also that process' console."""
    out, raw = tmp_path / f"predict-{where}.csv", tmp_path / f"raw-{where}.npy"
    script = tmp_path / "predict_probe.py"
    script.write_text((RUN_FIRST if run else "") + PREDICT_SCRIPT)
    extra = {} if run else {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"}
    env = _env(tmp_path, block_tensorflow, **extra)  # a run finds ./mlflow.db itself
    done = subprocess.run([sys.executable, str(script), model, str(history), str(out),
                           str(windows), str(raw), "--backend", backend_name,
                           *(("--run", *run) if run else ())], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert f"BACKEND {backend_name}" in done.stdout
    assert "TENSORFLOW_IMPORT_ATTEMPT" not in done.stderr, done.stderr[-3000:]
    return pd.read_csv(out).to_numpy(), np.load(raw), done.stdout


def _registered(tmp_path: Path, name: str) -> tuple[object, object, list[object]]:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    version = client.get_model_version(name, "1")
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id])
    return client, version, runs


@pytest.mark.slow
@needs_jax
def test_jax_run_without_tensorflow_registers_a_model_tensorflow_predicts_alike(
        tmp_path: Path) -> None:
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the TensorFlow side runs in this process")
    write_sweep(tmp_path, sweep_text("on_jax"), name="on_jax.yaml")
    history, windows = _history_and_windows(tmp_path, "on_jax")  # from the data, not the run
    uri = "models:/on_jax/1"  # in ./mlflow.db, the default store
    # one child with TensorFlow blocked runs the sweep and then predicts with what it registered
    # (a fresh JAX process loads a model: test_model_trained_here_predicts_alike...)
    jax_csv, jax_raw, stdout = _predict_in(
        tmp_path, "jax", uri, history, windows, "jax", block_tensorflow=True,
        run=("run", "on_jax.yaml", "--backend", "jax"))
    assert "  backend: jax (--backend)" in stdout
    assert "Registered 'on_jax' version 1" in stdout

    client, version, runs = _registered(tmp_path, "on_jax")
    assert version.tags["lstm_sweep.backend"] == "jax"
    assert {run.data.tags["backend"] for run in runs} == {"jax"}  # the sweep run and its trial
    assert {run.data.tags.get("kernel") for run in runs} >= {"cpu"}
    local = Path(client.download_artifacts(version.run_id, "model", str(tmp_path / "dl")))
    mlmodel = (local / "MLmodel").read_text()
    assert "keras_backend: jax" in mlmodel and "jax==" in (local / "requirements.txt").read_text()
    assert json.loads((local / "data" / "model" / "backend.json").read_text())["backend"] == "jax"

    tf_csv, tf_raw = _predict_here(tmp_path, uri, history, windows)  # this process: TensorFlow
    np.testing.assert_allclose(tf_raw, jax_raw, rtol=0, atol=ATOL_SCALED)
    np.testing.assert_allclose(tf_csv, jax_csv, rtol=RTOL_ORIGINAL)


def _predict_here(tmp_path: Path, uri: str, history: Path, windows: Path
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``lstm-sweep predict`` and the pyfunc on scaled windows, in this process."""
    import mlflow

    out = tmp_path / "predict-here.csv"
    assert main(["predict", "--model", uri, "--input", str(history), "--output", str(out)]) == 0
    raw = mlflow.pyfunc.load_model(uri).predict(np.load(windows))
    return pd.read_csv(out).to_numpy(), np.asarray(raw)


@pytest.mark.slow
def test_model_trained_here_predicts_alike_on_the_other_backend(tmp_path: Path,
                                                                capsys) -> None:
    """TensorFlow → JAX in the default run (the test above goes JAX → TensorFlow); also JAX →
    TensorFlow when run with KERAS_BACKEND=jax."""
    import keras

    here = keras.backend.backend()
    other = "jax" if here == "tensorflow" else "tensorflow"
    if not installed(other):
        pytest.skip(f"{other} is not installed")
    path = write_sweep(tmp_path, sweep_text("moves"), name="moves.yaml")
    assert main(["run", str(path)]) == 0
    assert f"  backend: {here} (" in capsys.readouterr().out
    _, version, runs = _registered(tmp_path, "moves")
    assert version.tags["lstm_sweep.backend"] == here
    assert {run.data.tags["backend"] for run in runs} == {here}

    history, windows = _history_and_windows(tmp_path, "moves")
    uri = "models:/moves/1"  # in ./mlflow.db, the default store
    here_csv, here_raw = _predict_here(tmp_path, uri, history, windows)
    other_csv, other_raw, _ = _predict_in(tmp_path, other, uri, history, windows, other)
    np.testing.assert_allclose(other_raw, here_raw, rtol=0, atol=ATOL_SCALED)
    np.testing.assert_allclose(other_csv, here_csv, rtol=RTOL_ORIGINAL)


# --------------------------------------------------------------------------- failed trials
@needs_jax
def test_jax_out_of_memory_is_a_failed_trial_other_errors_are_not() -> None:
    import jax
    import jax.numpy as jnp

    from lstm_automl.tuning.tuners import is_out_of_memory

    with pytest.raises(Exception) as oom:
        jnp.zeros((2**44,), dtype="float32").block_until_ready()  # 64 TiB
    assert is_out_of_memory(oom.value)
    with pytest.raises(Exception) as shape:
        jax.jit(lambda a, b: a @ b)(jnp.ones((2, 3)), jnp.ones((2, 3)))
    assert not is_out_of_memory(shape.value)
    assert is_out_of_memory(MemoryError())

