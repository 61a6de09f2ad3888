"""Config side of pruning, budgets, start_with and --set overrides (light: no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.durations import format_duration, parse_duration
from lstm_automl.config.start_with import hp_values
from lstm_automl.errors import ConfigError
from lstm_automl.resume.identity import identity_hash, sweep_identity
from lstm_automl.resume.state_folder import run_identity
from lstm_automl.sweep_file.loader import load_sweep

SWEEP = """\
name: s
data: {source: builtin:nile, lookback: {choice: [6, 8]}}
search:
  layers: {int: [1, 2]}
  units: {choice: [4, 8], per_layer: true}
  clipnorm: {choice: [null, 1.0]}
  learning_rate: {float: [1.0e-3, 1.0e-2], log: true}
  batch_size: {int: [16, 64], step: 16}
tuner: {max_trials: 3}
training: {epochs: 3}
"""


@pytest.mark.parametrize("text, seconds", [
    ("2h", 7200), ("30m", 1800), ("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("1d", 86400),
    (45, 45), (2.5, 2.5), (" 2H ", 7200)])
def test_durations_people_write(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["2 hours", "h", "", "-5m", 0, -1, True, "1h-30m"])
def test_what_is_not_a_duration(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_print_short():
    assert [format_duration(s) for s in (7200, 5400, 750, 45, 0)] == [
        "2h", "1h30m", "12m30s", "45s", "0s"]


def test_pruning_shorthand_and_defaults(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, SWEEP + "")
    pruning = load_sweep(path, ["tuner.pruning=asha"]).config.tuner.pruning
    assert (pruning.rule, pruning.min_epochs, pruning.min_trials, pruning.reduction_factor) == (
        "asha", 2, 3, 3)
    assert load_sweep(path).config.tuner.pruning.enabled is False


def test_start_with_values_become_the_tuners_names(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, SWEEP)
    loaded = load_sweep(path, ["tuner.start_with=[{units: 8, layers: 2, clipnorm: null, "
                               "lookback: 8, batch_size: 32}, {units: [4, 8]}, {units_1: 4}]"])
    config = loaded.config
    first, second, third = (hp_values(config, e) for e in config.tuner.start_with)
    assert first == {"units_0": 8, "units_1": 8, "layers": 2, "clipnorm": 0.0,
                     "data.lookback": 8, "batch_size": 32}
    assert second == {"units_0": 4, "units_1": 8}
    assert third == {"units_1": 4}


@pytest.mark.parametrize("entry, problem", [
    ("{units: 5}", "tuner.start_with[0].units: 5 is not one of the choices of search.units"),
    ("{unit: 8}", "tuner.start_with[0].unit: not a hyperparameter of this sweep; did you mean "
                  "'units'?"),
    ("{layers: 3}", "tuner.start_with[0].layers: 3 is outside the range"),
    ("{learning_rate: 0.5}", "tuner.start_with[0].learning_rate: 0.5 is outside the range"),
    ("{batch_size: 20}", "tuner.start_with[0].batch_size: 20 is between the steps"),
    ("{cell: gru}", "tuner.start_with[0].cell: search.cell is fixed at 'lstm'"),
    ("{units: [4, 8, 8]}", "tuner.start_with[0].units: more layers than search.layers allows"),
    ("{learning_rate: [0.001]}", "tuner.start_with[0].learning_rate: a value per layer needs"),
    ("{lookback: 7}", "tuner.start_with[0].lookback: 7 is not one of the choices of "
                      "data.lookback"),
    ("{}", "tuner.start_with[0]: empty"),
])
def test_a_start_with_value_outside_the_space_is_one_clear_error(entry, problem, tmp_path,
                                                                 capsys):
    path = write_sweep(tmp_path, SWEEP)
    code = main(["validate", str(path), "--no-data", "--set", f"tuner.start_with=[{entry}]"])
    err = capsys.readouterr().err
    assert code == 2 and f"--set {problem}" in err, err
    assert not (tmp_path / ".lstm_sweep").exists() and not (tmp_path / "mlflow.db").exists()


def test_start_with_needs_an_algorithm_that_samples(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, SWEEP.replace(
        "learning_rate: {float: [1.0e-3, 1.0e-2], log: true}", "learning_rate: 0.01")
        + "\n" if False else SWEEP)
    with pytest.raises(ConfigError, match="grid search walks the space in its own order"):
        load_sweep(path, ["tuner.algorithm=grid", "search.learning_rate=0.01",
                          "tuner.start_with=[{units: 8}]"])


@pytest.mark.parametrize("override, problem", [
    ("tuner.max_trials=0", "sweep.yaml: --set tuner.max_trials: Input should be greater than "
                           "or equal to 1 (got 0)"),
    ("tuner.max_trails=5", "--set tuner.max_trails: unknown key; did you mean 'max_trials'?"),
    ("tuner.pruning=medain", "--set tuner.pruning: expected one of: none, median, asha"),
    ("tuner.max_time=2hours", "--set tuner.max_time: expected a duration such as 2h"),
    ("training.max_trial_time=0", "--set training.max_trial_time: must be longer than 0"),
    ("tuner.target=low", "--set tuner.target: "),
    ("name.x=1", "--set name.x: name is a value ('s'), not a section"),
    ("tuner", "--set tuner: expected KEY=VALUE"),
    ("tuner.max_trials=[1, 2", "--set tuner.max_trials: the value is not YAML"),
])
def test_bad_overrides_are_refused_naming_the_option(override, problem, tmp_path, capsys):
    path = write_sweep(tmp_path, SWEEP)
    assert main(["validate", str(path), "--no-data", "--set", override]) == 2
    assert problem in capsys.readouterr().err


def test_overrides_are_read_as_yaml_and_the_last_one_wins(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, SWEEP)
    loaded = load_sweep(path, ["training.epochs=5", "search.units={choice: [8, 16]}",
                               "training.epochs=7", "tuner.target=1e-3",
                               "tracking.experiment=other"])
    config = loaded.config
    assert config.training.epochs == 7 and config.tuner.target == 0.001
    assert config.search.units.choice == [8, 16] and config.experiment_name == "other"
    assert "--set training.epochs=7" in loaded.effective
    assert "epochs: 7" in loaded.effective and loaded.text == SWEEP


def test_an_override_changes_the_identity_exactly_as_editing_the_file(isolated_workdir: Path):
    plain = write_sweep(isolated_workdir, SWEEP)
    edited = write_sweep(isolated_workdir, SWEEP.replace("epochs: 3", "epochs: 5"), "edited.yaml")

    def identity(path: Path, overrides: list[str]) -> str:
        config = load_sweep(path, overrides).config
        return identity_hash(run_identity(config, "min", "data"))

    assert identity(plain, ["training.epochs=5"]) == identity(edited, [])
    assert identity(plain, ["training.epochs=5"]) != identity(plain, [])
    # budgets and pruning change how the search spends time, not what a trial means
    assert identity(plain, ["tuner.max_trials=50", "tuner.pruning=median", "tuner.max_time=2h",
                            "training.max_trial_time=5m", "tuner.target=0.1"]) == \
        identity(plain, [])
    assert sweep_identity(load_sweep(plain).config, "min", "d")["training.epochs"] == "3"


def test_validate_and_run_take_set(isolated_workdir: Path, capsys):
    path = write_sweep(isolated_workdir, SWEEP)
    assert main(["validate", str(path), "--no-data", "--set", "tuner.pruning=median",
                 "--set", "tuner.max_time=90m"]) == 0
    out = capsys.readouterr().out
    assert "valid sweep 's'" in out
    assert "budget: pruning median (from epoch 2, against at least 3 other trials); " \
           "max_time 90m" in out
    from lstm_automl.cli import build_parser

    for command in (["run", "s.yaml"], ["chief", "s.yaml"],
                    ["worker", "s.yaml", "--chief", "h:1"], ["data", "s.yaml"]):
        args = build_parser().parse_args([*command, "--set", "a.b=1", "--set", "c.d=2"])
        assert args.overrides == ["a.b=1", "c.d=2"]


def test_recycled_processes_and_rerun_hints_repeat_the_overrides():
    import argparse

    from lstm_automl.commands.run import _child_argv
    from lstm_automl.config.overrides import shell_suffix

    args = argparse.Namespace(sweep_file="s.yaml", debug=False, quiet=False, verbose=False,
                              fresh=True,
                              overrides=["tuner.max_trials=50", "search.units={choice: [8]}"])
    first, later = _child_argv(args)
    assert later == ["run", "s.yaml", "--set", "tuner.max_trials=50",
                     "--set", "search.units={choice: [8]}"]
    assert first == [*later, "--fresh"]
    assert shell_suffix(args.overrides) == (" --set tuner.max_trials=50 --set "
                                            "'search.units={choice: [8]}'")
