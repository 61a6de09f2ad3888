"""``model: {python: FILE.py:FUNCTION}``: one clear line for each mistake, the training keys kept,
the file in the sweep identity, and a registered model that loads in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SWEEPS, write_sweep
from lstm_automl.errors import ConfigError
from lstm_automl.model.python_model import import_function, python_ref
from lstm_automl.resume.identity import describe_changes, sweep_identity
from lstm_automl.sweep_file.loader import load_sweep

SWEEP = """
name: custom
seed: 3
data:
  source: builtin:nile
  lookback: 6
  split: {{validation: 0.2, test: 0.2}}
model:
  python: {python}
search:
{search}
tuner: {{algorithm: random, max_trials: {trials}}}
training: {{epochs: 1, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""

GOOD = '''
import keras


@keras.saving.register_keras_serializable(package="custom_test")
class Scale(keras.layers.Layer):
    """A custom layer: loading the model needs this file imported first."""

    def call(self, x):
        return x * 0.5


def build(hp, shape):
    width = hp.Int("width", 2, 4, step=2)
    inputs = keras.Input((shape.steps, shape.n_features))
    x = keras.layers.GRU(width)(inputs)
    x = keras.layers.Dense(shape.n_outputs)(x)
    x = keras.layers.Lambda(lambda t: t + 0.0)(x)  # Python code in the model: loads too
    return keras.Model(inputs, Scale()(x))
'''


@pytest.fixture(autouse=True)
def forget_user_modules():
    """Each test's ``net.py`` lives in its own folder: the module imported as ``net`` by one
    test must not be taken for another's (import_function refuses a same-named module)."""
    yield
    for name in ("net", "boom1", "boom2", "boom3"):
        sys.modules.pop(name, None)


def _sweep(folder: Path, python: str = "net.py:build", code: str | None = GOOD,
           search: str = "  learning_rate: {choice: [0.01]}", trials: int = 1) -> Path:
    if code is not None:
        (folder / python.partition(":")[0]).write_text(textwrap.dedent(code))
    return write_sweep(folder, SWEEP.format(python=python, search=search, trials=trials))


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


# --------------------------------------------------------------------------- validate (no TF)


def test_shipped_example_validates_without_importing_tensorflow():
    loaded = load_sweep(SWEEPS / "custom_model.yaml")
    assert loaded.config.model is not None
    ref = python_ref(loaded.config, loaded.base_dir)
    assert ref is not None and ref.path == (SWEEPS / "custom_model.py").resolve()
    code = ("import sys; from lstm_automl.sweep_file.loader import load_sweep; "
            f"load_sweep({str(SWEEPS / 'custom_model.yaml')!r}); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("python, code, fragment", [
    ("missing.py:build", None, "model.python: missing.py:build: file not found"),
    ("net.py:build", "def build(hp, shape):\n    return (\n", "line 2: syntax error"),
    ("net.py:build", "def make(hp, shape):\n    pass\n", "no function 'build' at the top level"),
    ("net.py", None, "expected FILE.py:FUNCTION"),
    ("net.txt:build", None, "expected FILE.py:FUNCTION"),
    ("net.py:2build", None, "is not a Python function name"),
])
def test_file_mistakes_are_one_line_at_validate(isolated_workdir, python, code, fragment):
    problems = _problems(_sweep(isolated_workdir, python, code))
    assert len(problems) == 1 and fragment in problems[0], problems
    assert "\n" not in problems[0] and "Traceback" not in problems[0]


def test_architecture_keys_are_refused_training_keys_kept(isolated_workdir):
    search = ("  units: {choice: [4, 8]}\n  cell: gru\n  learning_rate: {choice: [0.01, 0.1]}\n"
              "  batch_size: 8\n  optimizer: {choice: [adam, sgd]}\n  clipnorm: 1.0\n  loss: mae")
    problems = _problems(_sweep(isolated_workdir, search=search))
    assert [p.split(":")[0] for p in problems] == ["search.cell", "search.units"]
    assert "not used with model.python" in problems[0]
    assert "learning_rate, optimizer, loss, batch_size, clipnorm" in problems[0]
    keep = "  learning_rate: {choice: [0.01, 0.1]}\n  batch_size: 8\n  optimizer: sgd"
    assert load_sweep(_sweep(isolated_workdir, search=keep)).config.model is not None


def test_unknown_key_under_model_is_named(isolated_workdir):
    path = _sweep(isolated_workdir)
    path.write_text(path.read_text().replace("  python:", "  pyton:"))
    problems = _problems(path)
    assert any(p.startswith("model.pyton: unknown key; did you mean 'python'?") for p in problems)


def test_schema_knows_the_model_key_and_its_rule():
    import yaml
    from jsonschema import Draft202012Validator

    from lstm_automl.sweep_file.json_schema import sweep_schema

    validator = Draft202012Validator(sweep_schema())
    document = yaml.safe_load((SWEEPS / "custom_model.yaml").read_text())
    assert list(validator.iter_errors(document)) == []
    for bad in ({"python": "net.py"}, {"pyton": "net.py:build"}):
        assert list(validator.iter_errors({**document, "model": bad}))
    document["search"]["units"] = 8
    errors = list(validator.iter_errors(document))
    assert errors and "units" in str(errors[0].message)


def test_import_errors_are_one_line_at_run_start(isolated_workdir):
    cases = {
        "raise RuntimeError('no GPU here\\nsecond line')\ndef build(hp, shape): pass\n":
            "importing boom1.py failed: RuntimeError: no GPU here",
        "import not_a_module_anywhere\ndef build(hp, shape): pass\n":
            "ModuleNotFoundError: No module named 'not_a_module_anywhere'",
        "from os import path as build\nbuild = 3\n": "'build' is a int, not a function",
    }
    for index, (code, fragment) in enumerate(cases.items(), 1):
        path = _sweep(isolated_workdir, f"boom{index}.py:build", code)
        loaded = load_sweep(path)  # the file parses: validate has nothing to say
        ref = python_ref(loaded.config, loaded.base_dir)
        assert ref is not None
        with pytest.raises(ConfigError) as caught:
            import_function(ref, "sweep.yaml")
        assert len(caught.value.problems) == 1 and fragment in caught.value.problems[0]


# --------------------------------------------------------------------------- identity


def test_the_function_file_is_part_of_the_sweep_identity(isolated_workdir):
    from lstm_automl.model.python_model import file_hash

    loaded = load_sweep(_sweep(isolated_workdir))
    ref = python_ref(loaded.config, loaded.base_dir)
    assert ref is not None
    before = sweep_identity(loaded.config, "min", "data", file_hash(ref))
    ref.path.write_text(ref.path.read_text() + "\n# a wider head\n")
    after = sweep_identity(loaded.config, "min", "data", file_hash(ref))
    changes = describe_changes(before, after)
    assert len(changes) == 1 and changes[0].startswith("model.python.content: the function's")
    # A sweep started with the built-in network (before model.python existed) is not resumed
    # with a Python one, whereas keys added in a newer lstm-sweep are otherwise skipped.
    old = {k: v for k, v in before.items() if not k.startswith("model.")}
    assert [c.split(":")[0] for c in describe_changes(old, before)] == [
        "model.python", "model.python.content"]
    builtin = sweep_identity(loaded.config.model_copy(update={"model": None}), "min", "data")
    assert describe_changes(old, builtin) == []  # existing sweeps resume as before


# --------------------------------------------------------------------------- building (TF)


@pytest.mark.usefixtures("keras_session")
def test_builder_compiles_checks_and_fails_trials_clearly(isolated_workdir):
    import keras
    import keras_tuner as kt

    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.python_model import PythonBuilder, PythonRef

    shape = ModelShape(steps=6, n_features=1, n_outputs=1)
    specs = load_sweep(_sweep(isolated_workdir)).config.search.specs()
    ref = PythonRef("net.py:build", isolated_workdir / "net.py", "build")

    def plain(hp, shape, compiled=None):
        inputs = keras.Input((shape.steps, shape.n_features))
        model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
        if compiled is not None:
            model.compile("adam", "mse", metrics=compiled)
        return model

    hp = kt.HyperParameters()
    model = PythonBuilder(ref, plain, "val_mae").build(hp, shape, specs)
    assert model.compiled and float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert {"learning_rate", "batch_size", "optimizer"} <= set(hp.values)
    assert "cell" not in hp.values and "units" not in hp.values

    kept = PythonBuilder(ref, lambda hp, s: plain(hp, s, ["mae"]), "val_mae")
    assert kept.build(kt.HyperParameters(), shape, specs).loss == "mse"  # kept as compiled
    failures = {
        "returned a compiled model without the metric 'rmse' that the objective val_rmse":
            PythonBuilder(ref, lambda hp, s: plain(hp, s, ["mae"]), "val_rmse"),
        "net.py:build raised ZeroDivisionError: division by zero":
            PythonBuilder(ref, lambda hp, s: 1 / 0, "val_loss"),
        "net.py:build returned list, not a keras.Model":
            PythonBuilder(ref, lambda hp, s: [plain(hp, s)], "val_loss"),
    }
    for message, builder in failures.items():
        with pytest.raises(kt.errors.FailedTrialError, match=message.replace("(", r"\(")):
            builder.build(kt.HyperParameters(), shape, specs)


@pytest.mark.usefixtures("keras_session")
def test_a_broken_file_stops_before_any_run_or_folder(isolated_workdir):
    from lstm_automl.session.prepare import prepare

    path = _sweep(isolated_workdir, code="import not_a_module_anywhere\ndef build(h, s): pass\n")
    with pytest.raises(ConfigError, match="importing net.py failed"):
        prepare(load_sweep(path))
    assert not (isolated_workdir / ".lstm_sweep").exists()
    assert not (isolated_workdir / "mlflow.db").exists()


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_sweep_registers_a_model_that_loads_in_a_fresh_process(isolated_workdir, capsys):
    from lstm_automl.cli import main

    folder = isolated_workdir / "project"
    folder.mkdir()
    path = _sweep(folder)  # one trial: what is registered and loaded is the point here
    assert main(["run", "-q", str(path)]) == 0
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{isolated_workdir / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("custom").experiment_id])
    trials = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(trials) == 1 and all("width" in r.data.params for r in trials)
    assert all(r.info.run_name.endswith("python") for r in trials)
    version = client.get_latest_versions("custom")[0]
    local = mlflow.artifacts.download_artifacts(version.source, dst_path=str(isolated_workdir))
    assert (Path(local) / "code" / "net.py").exists()
    # Elsewhere, without the project's folder or PYTHONPATH: only what the model carries.
    script = ("import sys, numpy as np, mlflow; "
              f"m = mlflow.pyfunc.load_model({local!r}); "
              "assert 'net' in sys.modules; "
              "print(m.predict(np.zeros((1, 6, 1), dtype='float32')).shape)")
    elsewhere = isolated_workdir / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "(1, 1)"


@pytest.mark.usefixtures("keras_session")
def test_final_model_members_are_rebuilt_with_the_function(isolated_workdir):
    from types import SimpleNamespace

    import keras_tuner as kt

    from lstm_automl.config.schema import ForecastDataConfig
    from lstm_automl.data import prepare_forecast
    from lstm_automl.model.final_model import train_member
    from lstm_automl.model.python_model import load_builder

    loaded = load_sweep(_sweep(isolated_workdir))
    builder = load_builder(loaded)
    assert builder is not None
    data = prepare_forecast(ForecastDataConfig(source="builtin:nile", lookback=6,
                                               split={"validation": 0.2, "test": 0.2}),
                            isolated_workdir)
    hp = kt.HyperParameters()
    hp.Fixed("width", 4)
    trial = SimpleNamespace(hyperparameters=hp, best_step=0)
    model = train_member(trial, data, loaded.config.search.specs(), 5, True, python=builder)
    assert model.layers[-1].__class__.__name__ == "Scale"
    assert model.get_layer(index=1).units == 4  # the trial's width, not a fresh sample


# --------------------------------------------------------------------------- hp name trap

TRAP = '''
import keras


def build(hp, shape):
    width = hp.Int("width", 2, 4, step=2)
    rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    hp.Choice("batch_size", [16, 64])
    inputs = keras.Input((shape.steps, shape.n_features))
    x = keras.layers.GRU(width)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(shape.n_outputs)(x))
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse", metrics=["mae"])
    return model
'''


@pytest.mark.backend_contract
def test_validate_refuses_names_lstm_sweep_declares_itself(isolated_workdir, capsys):
    """The keras-tuner duplicate-name trap: the function's learning_rate and batch_size would
    get lstm-sweep's fixed values on every trial; validate builds it once and says so."""
    from lstm_automl.cli import main

    path = _sweep(isolated_workdir, code=TRAP)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert ("model.python: net.py:build declares learning_rate, batch_size, which lstm-sweep "
            "declares itself") in err
    assert "Traceback" not in err and "width" not in err
    assert not (isolated_workdir / ".lstm_sweep").exists()
    assert not (isolated_workdir / "mlflow.db").exists()


@pytest.mark.backend_contract
def test_run_refuses_the_trap_before_any_run_or_folder(isolated_workdir):
    from lstm_automl.session.prepare import prepare

    path = _sweep(isolated_workdir, code=TRAP.replace('hp.Choice("batch_size", [16, 64])', ""))
    with pytest.raises(ConfigError, match="declares learning_rate, which") as caught:
        prepare(load_sweep(path))
    assert caught.value.exit_code == 2
    assert not (isolated_workdir / ".lstm_sweep").exists()
    assert not (isolated_workdir / "mlflow.db").exists()


@pytest.mark.backend_contract
def test_searched_training_settings_count_and_own_names_pass(isolated_workdir, capsys):
    """A searched training.epochs is lstm-sweep's name too; the function's own names pass."""
    from lstm_automl.cli import main

    code = GOOD.replace('hp.Int("width", 2, 4, step=2)', 'hp.Int("epochs", 2, 4, step=2)')
    path = _sweep(isolated_workdir, code=code)
    text = path.read_text().replace("training: {epochs: 1,", "training: {epochs: {choice: [1, 2]},")
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    assert "declares epochs, which" in capsys.readouterr().err
    _sweep(isolated_workdir)  # GOOD: only its own "width"
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


def test_a_function_that_raises_once_is_noted_not_refused(isolated_workdir, capsys):
    from lstm_automl.cli import main

    code = "def build(hp, shape):\n    raise RuntimeError('no model today')\n"
    path = _sweep(isolated_workdir, code=code)
    assert main(["validate", str(path)]) == 0
    assert ("its hyperparameter names were not checked: built once with each hyperparameter's "
            "default it raised RuntimeError: no model today") in capsys.readouterr().out


def test_validate_without_data_says_the_names_wait_for_the_data(isolated_workdir, capsys):
    from lstm_automl.cli import main

    path = _sweep(isolated_workdir, code=TRAP)
    assert main(["validate", "--no-data", str(path)]) == 0
    assert "model.python: the function's hyperparameter names are checked" in \
        capsys.readouterr().out


# ---------------------------------------------------------------- the function's own objective

OWN_METRIC = '''
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="custom_test")
def pearson(y_true, y_pred):
    """Pearson correlation of the batch: a metric lstm-sweep does not compile."""
    t, p = y_true - ops.mean(y_true), y_pred - ops.mean(y_pred)
    return ops.sum(t * p) / (ops.sqrt(ops.sum(t * t) * ops.sum(p * p)) + 1e-9)


def build(hp, shape):
    inputs = keras.Input((shape.steps, shape.n_features))
    x = keras.layers.GRU(hp.Int("width", 2, 4, step=2))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(shape.n_outputs)(x))
    if COMPILE:
        model.compile(optimizer="adam", loss="mse", metrics=[METRIC])
    return model
'''


def _own(folder: Path, direction: str | None = "max", compile_: bool = True,
         metric: str = "pearson", objective: str = "val_pearson") -> Path:
    code = OWN_METRIC.replace("COMPILE", str(compile_)).replace("METRIC", metric)
    path = _sweep(folder, code=code)
    tuner = f"tuner: {{algorithm: random, max_trials: 1, objective: {objective}"
    tuner += f", direction: {direction}}}" if direction else "}"
    path.write_text(path.read_text().replace("tuner: {algorithm: random, max_trials: 1}", tuner))
    return path


@pytest.mark.parametrize("objective, direction, fragment", [
    ("val_pearson", None, "tuner.objective: 'val_pearson' is your model's own metric: set "
                          "tuner.direction (min or max)"),
    ("pearson", "max", "tuner.objective: 'pearson': your own metric from model.python is an "
                       "objective as 'val_' + the name"),
])
def test_own_objective_needs_a_validation_name_and_a_direction(isolated_workdir, objective,
                                                                 direction, fragment):
    (problem,) = _problems(_own(isolated_workdir, direction, objective=objective))
    assert fragment in problem


def test_own_objective_is_only_for_model_python(isolated_workdir):
    path = write_sweep(isolated_workdir, (SWEEPS / "quickstart.yaml").read_text().replace(
        "objective: val_loss}", "objective: val_pearson, direction: max}", 1))
    (problem,) = _problems(path)
    assert "tuner.objective: 'val_pearson' is not a metric a forecast model reports" in problem


@pytest.mark.parametrize("compile_, metric, fragment", [
    (False, "pearson", "returns an uncompiled model, but tuner.objective val_pearson is not one "
                       "of lstm-sweep's metrics"),
    (True, "'mae'", "returns a model compiled without the metric 'pearson' that tuner.objective "
                    "val_pearson needs"),
])
def test_validate_builds_once_and_refuses_a_model_without_the_metric(isolated_workdir, capsys,
                                                                      compile_, metric, fragment):
    from lstm_automl.cli import main

    assert main(["validate", str(_own(isolated_workdir, compile_=compile_, metric=metric))]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert not (isolated_workdir / "mlflow.db").exists()


@pytest.mark.slow
def test_a_sweep_optimises_the_functions_own_metric(isolated_workdir, capsys):
    """val_pearson, maximised: validate notes it, the trial logs it, the sweep finishes."""
    from lstm_automl.cli import main

    path = _own(isolated_workdir)
    assert main(["validate", str(path)]) == 0
    assert "is not one of lstm-sweep's forecast metrics" in capsys.readouterr().out
    assert main(["run", "-q", str(path)]) == 0, capsys.readouterr().err
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{isolated_workdir / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("custom").experiment_id])
    (trial,) = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert -1.0 <= trial.data.metrics["val_pearson"] <= 1.0
