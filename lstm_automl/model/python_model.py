"""``model: {python: my_model.py:build}``: a network YAML cannot describe, written in Python.

The function gets keras-tuner's ``hp`` (it declares its own hyperparameters on it) and the
data's ``ModelShape``, and returns a Keras model; lstm-sweep keeps everything else (data,
baselines, tracking, resume, registry, serving). Only the training settings of ``search``
apply then (``TRAINING_PARAMS``): the loader refuses the architecture keys, which the function
would silently ignore.

Light on import (no TensorFlow): ``validate`` only reads the file with ``ast``; the import
happens at run start (``load_builder``), before any MLflow run or sweep folder is created, and
every mistake in the file is one line, not a traceback.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_automl.config.names import BACKTEST_PREFIX, extra_metrics, is_own_metric
from lstm_automl.config.params import DATA_PREFIX, TRAINING_PARAMS
from lstm_automl.config.schema import SweepConfig, split_python_ref
from lstm_automl.data.source_file import not_regular
from lstm_automl.errors import ConfigError

KEY = "model.python"
MAX_FILE_BYTES = 4 << 20


@dataclass(frozen=True)
class PythonRef:
    """Where the function lives: the file (resolved from the sweep file's folder) and name."""

    written: str  # as in the sweep file, for messages
    path: Path
    function: str

    @property
    def module(self) -> str:
        return self.path.stem


def python_ref(config: SweepConfig, base_dir: Path) -> PythonRef | None:
    """The sweep's function, or None for the built-in network."""
    if config.model is None:
        return None
    file, function = split_python_ref(config.model.python)
    return PythonRef(config.model.python, (base_dir / file).resolve(), function)


def architecture_problems(config: SweepConfig) -> list[str]:
    """One line per ``search`` key the function makes meaningless (refused, not ignored: a
    searched width that changes nothing would waste trials)."""
    if config.model is None:
        return []
    unused = sorted(set(config.search.model_fields_set) - set(TRAINING_PARAMS))
    return [f"search.{name}: not used with model.python (your function builds the network; "
            f"declare its settings with hp inside it); search keeps only "
            f"{', '.join(TRAINING_PARAMS)}" for name in unused]


def static_problems(ref: PythonRef) -> list[str]:
    """What ``validate`` can say without importing the file (and TensorFlow): it exists,
    parses, and binds the function's name at its top level."""
    where = f"{KEY}: {ref.written}"
    problem, size = not_regular(ref.path)
    if problem is not None:
        return [f"{where}: {problem} ({ref.path})"]
    if size > MAX_FILE_BYTES:
        return [f"{where}: the file has {size} bytes, more than {MAX_FILE_BYTES} for a model file"]
    shadowed = shadowed_module(ref)
    if shadowed:
        return [f"{where}: {ref.path.name} has the name of the installed module '{ref.module}' "
                f"({shadowed}); imported, it would replace that module for lstm-sweep and the "
                f"libraries it uses: rename the file"]
    try:
        tree = ast.parse(ref.path.read_bytes(), filename=str(ref.path))
    except SyntaxError as exc:
        return [f"{where}: line {exc.lineno}: syntax error: {exc.msg}"]
    except (OSError, ValueError) as exc:
        return [f"{where}: cannot read the file: {exc}"]
    if ref.function not in _top_level_names(tree):
        return [f"{where}: no function '{ref.function}' at the top level of {ref.path.name}"]
    exits = _import_time_exits(tree)
    if exits:
        line, name = exits[0]
        what = "raise SystemExit" if name == "SystemExit" else f"{name}()"
        return [f"{where}: line {line}: {what} at the top level would end lstm-sweep when it "
                f"imports {ref.path.name}; remove it (an `if __name__ == \"__main__\":` block "
                f"is fine)"]
    return []


def shadowed_module(ref: PythonRef) -> str | None:
    """Where the installed module named like the file lives (None if there is none, or it is
    this file). The file is imported under its stem, so ``statsmodels.py`` would stand in for
    statsmodels (the classical baselines vanished) and ``mlflow.py`` for MLflow; it ships
    under that name in the registered model too. ``find_spec`` looks without importing."""
    name = ref.module.partition(".")[0]  # a dotted stem would make find_spec import a parent
    if name in sys.builtin_module_names:
        return "built in"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = spec.origin if spec.has_location else None
    if origin and Path(origin).resolve() == ref.path:
        return None
    return origin or next(iter(spec.submodule_search_locations or []), None) or "built in"


_EXIT_CALLS = {"sys.exit", "exit", "quit", "os._exit", "SystemExit"}


def _import_time_exits(tree: ast.Module) -> list[tuple[int, str]]:
    """Line and call of each top-level statement that always ends the process when the file
    is imported (``sys.exit(...)``, ``exit()``, ``quit()``, ``os._exit(...)``, ``raise
    SystemExit``; ``os._exit`` cannot even be caught). An exit under a condition (``if __name__
    == "__main__":``, a missing dependency) is left to ``import_function``, which catches it."""
    lines: list[tuple[int, str]] = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else (
            node.exc if isinstance(node, ast.Raise) else None)
        target = call.func if isinstance(call, ast.Call) else call
        name = ast.unparse(target) if target is not None else ""
        if name in _EXIT_CALLS:
            lines.append((node.lineno, name))
    return lines


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def file_hash(ref: PythonRef) -> str:
    """The function file's content hash: part of the sweep identity, so an edited network
    refuses a silent resume."""
    return hashlib.sha256(ref.path.read_bytes()).hexdigest()[:16]


def import_function(ref: PythonRef, source: str) -> Callable[..., Any]:
    """Import the file as module ``ref.module`` and return the function; ConfigError (one line)
    for a missing file, a syntax error, an import that raises, a missing or non-callable name."""
    problems = static_problems(ref)
    if problems:
        raise ConfigError(source, problems)
    where = f"{KEY}: {ref.written}"
    loaded = sys.modules.get(ref.module)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != ref.path:
        raise ConfigError(source, [f"{where}: a module named '{ref.module}' is already imported "
                                   f"({getattr(loaded, '__file__', 'built in')}); rename the "
                                   f"file"])
    if loaded is None:
        spec = importlib.util.spec_from_file_location(ref.module, ref.path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[ref.module] = module  # registered Keras objects and pickles find it by name
        try:
            spec.loader.exec_module(module)
        except SystemExit as exc:  # not a success: lstm-sweep would end having done nothing
            del sys.modules[ref.module]
            raise ConfigError(source, [f"{where}: importing {ref.path.name} ended the process "
                                       f"({exit_call(exc)}); a model file must only define "
                                       f"things when imported"]) from None
        except Exception as exc:
            del sys.modules[ref.module]
            raise ConfigError(source, [f"{where}: importing {ref.path.name} failed: "
                                       f"{type(exc).__name__}: {_first_line(exc)}"]) from None
        loaded = module
    function = getattr(loaded, ref.function, None)
    if function is None:
        raise ConfigError(source, [f"{where}: {ref.path.name} has no '{ref.function}'"])
    if not callable(function):
        raise ConfigError(source, [f"{where}: '{ref.function}' is a {type(function).__name__}, "
                                   f"not a function"])
    return function  # type: ignore[no-any-return]


def exit_call(exc: SystemExit) -> str:
    """``sys.exit(0)``, ``sys.exit('why')``: how the file ended the process, for messages."""
    code = exc.code
    if isinstance(code, str) and code.strip():
        code = code.strip().splitlines()[0]
    return "sys.exit()" if code is None else f"sys.exit({code!r})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class PythonBuilder:
    """Builds one trial's model with the user's function; what ``SweepHyperModel`` and
    ``final_model.train_member`` call instead of ``build_model``."""

    ref: PythonRef
    function: Callable[..., Any]
    objective: str
    source: str = "sweep.yaml"  # the sweep file, for messages

    def build(self, hp: Any, shape: Any, specs: dict[str, Any],
              jit_compile: bool | str = "auto") -> Any:
        """Declare the training settings, call the function, compile what it left uncompiled.

        Raises keras-tuner's FailedTrialError (one line) when the function raises or returns
        something else than a Keras model, or a compiled model lacks the objective's metric;
        ConfigError when it calls ``sys.exit`` (the tuner stops the sweep then: exit 2).
        """
        import keras
        import keras_tuner as kt

        # defers keras, keras_tuner
        from lstm_automl.model.hypermodel import (
            XLA_WHERE_FASTER,
            make_optimizer,
            task_loss,
            task_metrics,
        )
        from lstm_automl.model.space import declare_training  # defers keras_tuner

        values = declare_training(hp, specs)
        label = f"{self.ref.path.name}:{self.ref.function}"
        try:
            model = self.function(hp, shape)
        except kt.errors.FailedTrialError:
            raise
        except SystemExit as exc:  # a broken model file, not a configuration that cannot work
            raise ConfigError(self.source, [
                f"{KEY}: {label} called {exit_call(exc)} while building a model; a model "
                f"function must return a keras.Model or raise an error"]) from None
        except Exception as exc:
            raise kt.errors.FailedTrialError(
                f"{label} raised {type(exc).__name__}: {_first_line(exc)}") from exc
        if not isinstance(model, keras.Model):
            raise kt.errors.FailedTrialError(
                f"{label} returned {type(model).__name__}, not a keras.Model")
        if not model.compiled:
            if is_own_metric(shape.task, self.objective):
                raise kt.errors.FailedTrialError(_uncompiled(label, self.objective))
            model.compile(
                optimizer=make_optimizer(values["optimizer"], float(values["learning_rate"]),
                                         values["clipnorm"],
                                         weight_decay=values.get("weight_decay")),
                loss=task_loss(shape, values["loss"]),
                metrics=task_metrics(shape, extra_metrics(shape.task, self.objective)),
                # XLA measured faster only for plain single-layer networks; an unknown one
                # gets plain execution on a CPU.
                jit_compile=False if jit_compile == XLA_WHERE_FASTER else jit_compile,
            )
            return model
        missing = missing_metric(model, self.objective)
        if missing:
            raise kt.errors.FailedTrialError(
                f"{label} returned a compiled model without the metric '{missing}' that the "
                f"objective {self.objective} needs: compile it with metrics=['{missing}'], or "
                f"return it uncompiled")
        return model


def missing_metric(model: Any, objective: str) -> str | None:
    """The metric ``objective`` reads (``val_mae`` → ``mae``) when the compiled ``model`` does
    not report it; None when it does or when its metrics cannot be named (nested per output)."""
    needed = objective.removeprefix(BACKTEST_PREFIX).removeprefix("val_")
    if needed == "loss":
        return None
    config = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    names: set[str] = set()
    for key in ("metrics", "weighted_metrics"):
        metrics = config.get(key) or []
        if not isinstance(metrics, (list, tuple)):
            return None  # a dict per output: Keras prefixes the names; let the tuner judge
        for metric in metrics:
            if isinstance(metric, (list, tuple, dict)):
                return None
            names.add(metric if isinstance(metric, str) else
                      str(getattr(metric, "name", None) or getattr(metric, "__name__", "")))
    return None if needed in names else needed


def _recorder() -> Any:
    """A fresh keras-tuner ``HyperParameters``: after the build, its public ``space`` lists
    every name the function declared, in order (inactive conditional ones too)."""
    import keras_tuner as kt

    return kt.HyperParameters()


def _declared(hp: Any) -> list[str]:
    """The names declared on ``hp``, in the order they were first declared."""
    return [declared.name for declared in hp.space]


def own_names(config: SweepConfig) -> list[str]:
    """The hyperparameter names lstm-sweep declares on each trial before the function runs:
    the training settings of ``search``, the searched ``training`` settings and data settings."""
    import keras_tuner as kt

    from lstm_automl.model.space import (  # defers keras_tuner
        declare_training,
        declare_training_settings,
    )

    hp = kt.HyperParameters()
    declare_training(hp, config.search.specs())
    declare_training_settings(hp, config.training.trial_settings())
    return [*hp.values, *(DATA_PREFIX + name for name in config.data.searched_data())]


def name_clashes(builder: PythonBuilder, config: SweepConfig, shape: Any
                 ) -> tuple[list[str], list[str]]:
    """(problems, notes): build the function's model once on a fresh ``hp`` (no training)
    and refuse names it shares with lstm-sweep's own. keras-tuner returns the value a name
    already has, so ``hp.Float("learning_rate", ...)`` in the function would silently get
    lstm-sweep's fixed learning rate on every trial: the keras-tuner duplicate-name trap."""
    import keras

    recorder = _recorder()
    label = f"{KEY}: {builder.ref.path.name}:{builder.ref.function}"
    try:
        model = builder.function(recorder, shape)
        own_metric = _own_metric_problem(model, builder.objective, shape.task, label)
    except (Exception, SystemExit) as exc:
        return [], [f"{label}: its hyperparameter names were not checked: built once with "
                    f"each hyperparameter's default it raised {type(exc).__name__}: "
                    f"{_first_line(exc)}"]
    finally:
        keras.backend.clear_session()  # the trials' layer names and seeds stay as without it
    taken = set(own_names(config))
    clashes = list(dict.fromkeys(n for n in _declared(recorder) if n in taken))
    problems = [own_metric] if own_metric else []
    if clashes:
        problems.append(
            f"{label} declares {', '.join(clashes)}, which lstm-sweep declares itself; "
            f"keras-tuner would give the function lstm-sweep's value on every trial: rename "
            f"them in the function, or search them in the sweep file (search:, training:)")
    return problems, []


def _own_metric_problem(model: Any, objective: str, task: str, label: str) -> str | None:
    """Why the model built once cannot report ``objective``, the function's own metric (None
    for lstm-sweep's metrics, which it compiles itself, and for a model it can report)."""
    import keras

    if not is_own_metric(task, objective) or not isinstance(model, keras.Model):
        return None  # not a model: the trial says so, with the trial's own message
    if not model.compiled:
        return _uncompiled(label, objective)
    missing = missing_metric(model, objective)
    if missing is None:
        return None
    return (f"{label} returns a model compiled without the metric '{missing}' that "
            f"tuner.objective {objective} needs: add it to compile(metrics=[...]) under that name")


def _uncompiled(label: str, objective: str) -> str:
    return (f"{label} returns an uncompiled model, but tuner.objective {objective} is not one "
            f"of lstm-sweep's metrics: compile the model in the function with that metric")


def check_names(builder: PythonBuilder | None, config: SweepConfig, shape: Any) -> list[str]:
    """``name_clashes`` as ``validate`` and ``run`` use it: ConfigError (exit 2) for a clash,
    the notes otherwise (none without ``model.python``)."""
    if builder is None:
        return []
    problems, notes = name_clashes(builder, config, shape)
    if problems:
        raise ConfigError(builder.source, problems)
    return notes


def load_builder(loaded: Any) -> PythonBuilder | None:
    """At run start: import the sweep's function (ConfigError, exit 2, on any mistake)."""
    ref = python_ref(loaded.config, loaded.base_dir)
    if ref is None:
        return None
    source = loaded.source or str(loaded.path)
    return PythonBuilder(ref, import_function(ref, source), loaded.config.tuner.objective, source)
