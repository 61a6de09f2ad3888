"""The README's exit-code contract (0 done, 1 the sweep failed, 2 a usage, config or data error,
130 interrupted) in the cases that broke it: a model file that calls ``sys.exit``, a seed the
backends refuse, and a model function that raises for every trial."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main

SWEEP = """
name: exits
seed: {seed}
data:
  source: builtin:nile
  lookback: 6
  split: {{validation: 0.2, test: 0.2}}
model:
  python: {module}.py:build
search:
  learning_rate: {{choice: [0.01, 0.02, 0.03]}}
tuner: {{algorithm: random, max_trials: {trials}, max_consecutive_failures: {in_a_row}}}
training: {{epochs: 1, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""


@pytest.fixture(autouse=True)
def forget_user_modules():
    """Each test imports its own model file; none may be taken for another's."""
    yield
    for name in [n for n in sys.modules if n.startswith("exits_net")]:
        sys.modules.pop(name, None)


def _sweep(folder: Path, code: str, module: str = "exits_net", seed: int = 3, trials: int = 2,
           in_a_row: int = 3) -> Path:
    (folder / f"{module}.py").write_text(textwrap.dedent(code))
    return write_sweep(folder, SWEEP.format(module=module, seed=seed, trials=trials,
                                            in_a_row=in_a_row))


def _nothing_written(folder: Path) -> bool:
    return not (folder / "mlflow.db").exists() and not (folder / ".lstm_sweep").exists()


# --------------------------------------------------------------------------- sys.exit, import


def test_top_level_exit_is_refused_by_validate(isolated_workdir, capsys):
    path = _sweep(isolated_workdir, "import sys\n\nsys.exit(0)\n\ndef build(hp, shape):\n"
                                    "    pass\n")
    assert main(["validate", "--no-data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "model.python: exits_net.py:build: line 3: sys.exit() at the top level" in err
    assert "Traceback" not in err


def test_bare_raise_system_exit_is_named(isolated_workdir, capsys):
    path = _sweep(isolated_workdir, "raise SystemExit\n\ndef build(hp, shape):\n    pass\n")
    assert main(["validate", "--no-data", str(path)]) == 2
    assert "line 1: raise SystemExit at the top level" in capsys.readouterr().err


@pytest.mark.parametrize("guarded", [
    "if __name__ == '__main__':\n    sys.exit(0)\n",
    "try:\n    import json\nexcept ImportError:\n    sys.exit('needs json')\n",
])
def test_exit_under_a_condition_is_allowed(isolated_workdir, capsys, guarded):
    code = "import sys\n\ndef build(hp, shape):\n    pass\n\n" + guarded
    assert main(["validate", "--no-data", str(_sweep(isolated_workdir, code))]) == 0


@pytest.mark.parametrize("code", [
    "import sys\n\ndef _stop():\n    sys.exit(0)\n\n_stop()\n\ndef build(hp, shape):\n    pass\n",
    "import sys\n\ndef _stop():\n    raise SystemExit\n\n_stop()\n\ndef build(hp, s):\n    pass\n",
])
def test_exit_while_importing_is_exit_2_and_writes_nothing(isolated_workdir, capsys, code):
    path = _sweep(isolated_workdir, code)
    assert main(["validate", "--no-data", str(path)]) == 0  # hidden from the static check
    assert main(["run", "-q", str(path)]) == 2
    err = capsys.readouterr().err
    assert "model.python: exits_net.py:build: importing exits_net.py ended the process" in err
    assert _nothing_written(isolated_workdir)


# --------------------------------------------------------------------------- sys.exit, build


EXITS_SOMETIMES = """
import sys

import keras


def build(hp, shape):
    if hp.get("learning_rate") > 0.015:  # not the first value: the space is built, a trial runs
        sys.exit("no GPU")
    inputs = keras.Input((shape.steps, shape.n_features))
    return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
"""


@pytest.mark.slow
@pytest.mark.backend_contract
@pytest.mark.parametrize("code, call", [
    ("import sys\n\ndef build(hp, shape):\n    sys.exit(0)\n", "sys.exit(0)"),
    (EXITS_SOMETIMES, "sys.exit('no GPU')"),
])
def test_build_function_that_exits_is_exit_2_naming_the_file(isolated_workdir, capsys, code,
                                                             call):
    path = _sweep(isolated_workdir, code)
    assert main(["run", "-q", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"model.python: exits_net.py:build called {call} while building a model" in err, err
    assert "unexpected" not in err
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{isolated_workdir / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("exits").experiment_id])
    assert runs and all(r.info.status in ("FAILED", "FINISHED") for r in runs)
    trial_runs = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert bool(trial_runs) == ("GPU" in call)  # stopped in a trial, or before the first one
    assert [r.info.status for r in runs if "mlflow.parentRunId" not in r.data.tags] == ["FAILED"]


# --------------------------------------------------------------------------- the seed


@pytest.mark.parametrize("key", ["seed", "training.seed", "final_model.mc_dropout.seed"])
def test_seed_beyond_what_the_backends_take_is_refused_by_validate(isolated_workdir, capsys,
                                                                    key):
    path = _sweep(isolated_workdir, "def build(hp, shape):\n    pass\n")
    assert main(["validate", "--no-data", "--set", f"{key}={2**32}", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{key}: Input should be less than or equal to {2**31 - 1}" in err, err
    assert main(["validate", "--no-data", "--set", f"{key}={2**31 - 1}", str(path)]) == 0


def test_searched_seed_beyond_the_range_is_refused(isolated_workdir, capsys):
    path = _sweep(isolated_workdir, "def build(hp, shape):\n    pass\n")
    assert main(["validate", "--no-data", "--set", f"training.seed={{choice: [1, {2**32}]}}",
                 str(path)]) == 2
    assert (f"training.seed.choice: {2**32} is out of range; expected an integer >= 0 and "
            f"<= {2**31 - 1}, or null") in capsys.readouterr().err


@pytest.mark.backend_contract
def test_largest_seed_with_offsets_is_taken_by_the_backend():
    import keras

    from lstm_automl.config.schema import SEED_MAX

    keras.utils.set_random_seed(SEED_MAX + 10_000_000)  # trial numbers, member offsets
    layer = keras.layers.Dropout(0.5, seed=SEED_MAX + 10_000_000)
    assert layer(keras.ops.ones((2, 3)), training=True).shape == (2, 3)


# --------------------------------------------------------------------------- every trial fails


RAISES = """
def build(hp, shape):
    hp.Int("width", 2, 4)
    raise ValueError("the head does not fit\\nsecond line")
"""


@pytest.mark.slow
@pytest.mark.backend_contract
@pytest.mark.parametrize("trials, in_a_row", [(2, 3), (5, 2)])
def test_builder_that_always_raises_fails_its_trials_then_the_sweep(isolated_workdir, capsys,
                                                                     trials, in_a_row):
    path = _sweep(isolated_workdir, RAISES, trials=trials, in_a_row=in_a_row)
    assert main(["run", "-q", str(path)]) == 1
    err = capsys.readouterr().err
    ran = min(trials, in_a_row)
    stopped = f"; stopped after {in_a_row} failed trials in a row" if trials > in_a_row else ""
    assert f"error: every trial failed ({ran} ran{stopped}" in err, err
    assert "first failure: exits_net.py:build raised ValueError: the head does not fit" in err
    assert "unexpected" not in err and "second line" not in err
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{isolated_workdir / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("exits").experiment_id])
    trial_runs = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert sorted(r.info.status for r in trial_runs) == ["FAILED"] * ran
    assert [r.info.status for r in runs if "mlflow.parentRunId" not in r.data.tags] == ["FAILED"]
