"""Sweep files on disk → config or one clean ConfigError; validate/run exit 2 without side effects.

Fast and light: nothing here imports TensorFlow, keras-tuner or MLflow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SWEEPS, write_series_csv, write_sweep
from lstm_automl.cli import main
from lstm_automl.config.params import SEARCH_PARAMS
from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import format_size, space_size, summary_rows
from lstm_automl.errors import ConfigError
from lstm_automl.sweep_file.data_checks import data_notes
from lstm_automl.sweep_file.loader import load_sweep

CELLS = "lstm, gru, peephole, simple_rnn"
DATA = "data: {source: builtin:airline}\n"
SIDE_EFFECTS = ("mlflow.db", "mlruns", "mlartifacts", ".lstm_sweep")


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --------------------------------------------------------------------------- sweeps that ship


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_sweep_loads(path: Path):
    loaded = load_sweep(path)
    assert loaded.config.name
    assert loaded.path == path.resolve()


# --------------------------------------------------------------------------- bad input table
# Each case writes its file into the folder and returns (path, fragments the message must hold).


def _alias_bomb() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":  # 9 levels in all: 9**9 ≈ 387 million strings once expanded
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def _text(text: str, *fragments: str) -> Callable[[Path], tuple[Path, list[str]]]:
    def make(folder: Path) -> tuple[Path, list[str]]:
        return write_sweep(folder, text), list(fragments)

    return make


def _missing(folder: Path) -> tuple[Path, list[str]]:
    return folder / "nowhere.yaml", ["file not found"]


def _folder(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "a_folder.yaml"
    path.mkdir()
    return path, ["is a folder"]


def _binary(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "junk.yaml"
    path.write_bytes(bytes(range(256)) * 8)
    return path, ["binary"]


def _tag(folder: Path) -> tuple[Path, list[str]]:
    marker = folder / "EXECUTED"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n" + DATA
    return write_sweep(folder, text), ["python/object/apply:os.system", "not allowed",
                                       "line 1, column 7"]


BAD_CASES: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "missing_file": _missing,
    "folder": _folder,
    "empty_file": _text("", "empty"),
    "yaml_syntax": _text("name: a\ndata: [1, 2\n", "line 3, column 1", "YAML syntax error"),
    "top_level_list": _text("- name\n- data\n", "top level must be a mapping", "got a list"),
    "top_level_scalar": _text("just a string\n", "top level must be a mapping", "got a str"),
    "python_tag": _tag,
    "alias_bomb": _text(_alias_bomb(), "alias bomb", "refusing"),
    "binary_junk": _binary,
    "duplicate_keys": _text("name: a\nname: b\n" + DATA, "line 2, column 1",
                            "duplicate key 'name'"),
    "unknown_top_key": _text("name: a\n" + DATA + "serach: {}\n",
                             "serach: unknown key", "did you mean 'search'?",
                             "allowed: name, seed, description, data"),
    "unknown_far_key": _text("name: a\n" + DATA + "zzzzzz: 1\n", "zzzzzz: unknown key",
                             "allowed: name, seed"),
    "unknown_data_key": _text("name: a\ndata: {source: builtin:airline, lookbak: 3}\n",
                              "data.lookbak: unknown key", "did you mean 'lookback'?",
                              "allowed: source"),
    "unknown_search_key": _text("name: a\n" + DATA + "search: {unit: 8}\n",
                                "search.unit: unknown key", "did you mean 'units'?"),
    "unknown_spec_key": _text("name: a\n" + DATA + "search: {units: {int: [8, 32], stepp: 8}}\n",
                              "search.units.stepp: unknown key", "did you mean 'step'?",
                              "allowed: int, step, log, per_layer"),
    "wrong_type_int": _text("name: a\ndata: {source: builtin:airline, lookback: twelve}\n",
                            "data.lookback", "expected an integer >= 1", "'twelve'"),
    "wrong_type_str_for_int": _text("name: a\n" + DATA + "tuner: {max_trials: '10'}\n",
                                    "tuner.max_trials", "valid integer"),
    "wrong_type_section": _text("name: a\ndata: builtin:airline\n", "data:", "dictionary"),
    "wrong_type_spec_list": _text("name: a\n" + DATA + "search: {units: [8, 16]}\n",
                                  "search.units:", "exactly one of: choice, int, float"),
    "int_min_above_max": _text("name: a\n" + DATA + "search: {units: {int: [64, 8]}}\n",
                               "search.units.int", "min must be <= max"),
    "log_range_touching_zero": _text(
        "name: a\n" + DATA + "search: {learning_rate: {float: [0.0, 0.1], log: true}}\n",
        "search.learning_rate.float", "log sampling needs min > 0"),
    "empty_choice": _text("name: a\n" + DATA + "search: {cell: {choice: []}}\n",
                          "search.cell.choice", "at least 1 item"),
    "unknown_cell": _text("name: a\n" + DATA + "search: {cell: transformer}\n",
                          "search.cell", "'transformer'", CELLS),
    "unknown_cell_in_choice": _text("name: a\n" + DATA + "search: {cell: {choice: [lstm, tcn]}}\n",
                                    "search.cell.choice", "'tcn'", CELLS),
    "per_layer_not_allowed": _text(
        "name: a\n" + DATA + "search: {layers: {int: [1, 3], per_layer: true}}\n",
        "search.layers.per_layer", "units, dropout, recurrent_dropout, dense_units"),
    "objective_not_reported": _text("name: a\n" + DATA + "tuner: {objective: val_accuracy}\n",
                                    "tuner.objective", "'val_accuracy'",
                                    "allowed: val_loss, val_mae, val_rmse, val_mse, val_r2, "
                                    "val_logcosh, loss, mae, rmse, mse, r2, logcosh"),
    "grid_with_continuous_float": _text(
        "name: a\n" + DATA + "search: {learning_rate: {float: [0.001, 0.1]}}\n"
        "tuner: {algorithm: grid}\n",
        "search.learning_rate.float", "grid search needs a discrete space"),
    "missing_required": _text("seed: 3\n" + DATA, "name: required key is missing"),
}


def _check_lines_name_file(message: str, path: Path) -> None:
    lines = message.splitlines()
    assert lines
    for line in lines:
        assert line.startswith(f"{path}: "), line


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_load_sweep_refuses_bad_input(case: str, isolated_workdir: Path):
    path, fragments = BAD_CASES[case](isolated_workdir)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert time.perf_counter() - started < 2.0
    message = str(caught.value)
    _check_lines_name_file(message, path)
    assert caught.value.source == str(path)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert not (isolated_workdir / "EXECUTED").exists()


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD_CASES))
def test_cli_refuses_bad_input_cleanly(case: str, command: str, isolated_workdir: Path,
                                       capsys: pytest.CaptureFixture[str]):
    path, fragments = BAD_CASES[case](isolated_workdir)
    before = _snapshot(isolated_workdir)
    started = time.perf_counter()
    rc = main([command, str(path)])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert elapsed < 2.0
    assert err.startswith("error:")
    assert str(path) in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in out + err
    assert not (isolated_workdir / "EXECUTED").exists()
    for name in SIDE_EFFECTS:
        assert not (isolated_workdir / name).exists(), name
    assert _snapshot(isolated_workdir) == before


def test_several_problems_are_all_reported_at_once(isolated_workdir: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, (
        "name: a\n"
        "bogus: 1\n"
        "data: {source: builtin:airline, lookback: x}\n"
        "search: {units: {int: [64, 8]}}\n"
        "tuner: {max_trials: 0}\n"
    ))
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert len(str(caught.value).splitlines()) == 4
    joined = "\n".join(problems)
    for key in ("bogus:", "data.lookback:", "search.units.int:", "tuner.max_trials:"):
        assert key in joined

    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "error:"
    assert len([line for line in err.splitlines() if line.startswith(f"{path}: ")]) == 4


def test_schema_and_meaning_problems_are_reported_together(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, (
        "name: a\nbogus: 1\n" + DATA + "tuner: {objective: val_accuracy}\n"
    ))
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    joined = "\n".join(caught.value.problems)
    assert "bogus:" in joined and "tuner.objective:" in joined


@pytest.mark.parametrize("search", [
    "{dropout: .nan}",
    "{learning_rate: {float: [.nan, 0.1]}}",
])
def test_nan_is_refused(search: str, isolated_workdir: Path):
    path = write_sweep(isolated_workdir, "name: a\n" + DATA + f"search: {search}\n")
    with pytest.raises(ConfigError):
        load_sweep(path)


def test_split_error_names_only_the_users_key(isolated_workdir: Path):
    path = write_sweep(isolated_workdir,
                       "name: a\ndata: {source: builtin:airline, split: {validation: 1.5}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith("data.split.validation: ")
    assert "constrained" not in problems[0]


@pytest.mark.parametrize("data, expected", [
    ("lookback: {float: [30, 150]}",
     ["data.lookback: expected an integer >= 1, or {choice: [12, 24]}, {int: [12, 48], step: "
      "12} or {multiple_of_horizon: [2, 4]} to search it; a range cannot be searched here, list "
      "its values (got {'float': [30, 150]})"]),
    ("lookback: {int: [150, 30]}", ["data.lookback.int: min must be <= max (got 150 > 30)"]),
    ("scaling: {chioce: [none]}",
     ["data.scaling: expected one of: standard, minmax, robust, none, or {choice: [...]} to "
      "search it (got {'chioce': ['none']})"]),
    ("lookback: {choice: [12, 0]}",
     ["data.lookback.choice.1: Input should be greater than or equal to 1 (got 0)"]),
    ("lookback: {choice: [12], per_layer: true}",
     ["data.lookback.per_layer: unknown key; allowed: choice, int, multiple_of_horizon"]),
    ("transform: {choice: [log, bogus]}",
     ["data.transform.choice: 'bogus' is not allowed; expected one of: none, log, diff, "
      "log_diff, seasonal_diff, log_seasonal_diff"]),
    ("task: classify, lookback: {choice: [12, 24]}",
     ["data.lookback: applies only to task: forecast or detect; whole sequences are cut into "
      "windows with data.window"]),
    ("task: regress, transform: log",
     ["data.transform: applies only to task: forecast or detect (it transforms a forecast "
      "target's series; whole-sequence data has none)"]),
    ("task: regress, window: {choice: [0]}",
     ["data.window.choice.0: Input should be greater than or equal to 1 (got 0)"]),
])
def test_searched_data_settings_get_one_line_each(data: str, expected: list[str],
                                                  isolated_workdir: Path):
    source = "generate:adding" if "task:" in data else "builtin:airline"
    path = write_sweep(isolated_workdir, f"name: a\ndata: {{source: {source}, {data}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == expected


SEARCH_KEYS = ", ".join(SEARCH_PARAMS)  # in the table's order


@pytest.mark.parametrize("section, key, expected", [
    # Far from any allowed key: no misleading "did you mean", the allowed keys instead.
    ("search", "batch_norm", f"search.batch_norm: unknown key; allowed: {SEARCH_KEYS}"),
    ("search", "attention_heads", f"search.attention_heads: unknown key; allowed: {SEARCH_KEYS}"),
    ("tuner", "hyperband_rounds",
     "tuner.hyperband_rounds: unknown key; allowed: algorithm, max_trials, objective, "
     "direction, executions_per_trial, max_consecutive_failures, hyperband_factor, "
     "hyperband_iterations, grid_order, directory, pruning, max_time, target, start_with, "
     "warm_start"),
    # Typos still get a suggestion.
    ("search", "bach_size", f"search.bach_size: unknown key; did you mean 'batch_size'? allowed: "
     f"{SEARCH_KEYS}"),
    ("search", "learning_rat", f"search.learning_rat: unknown key; did you mean 'learning_rate'? "
     f"allowed: {SEARCH_KEYS}"),
    # Keys of another section say where they belong.
    ("search", "epochs", "search.epochs: unknown key; epochs belongs under training: "
     "training.epochs"),
    ("tuner", "epochs", "tuner.epochs: unknown key; epochs belongs under training: "
     "training.epochs"),
    ("training", "units", "training.units: unknown key; units belongs under search: search.units"),
    ("search", "max_trials", "search.max_trials: unknown key; max_trials belongs under tuner: "
     "tuner.max_trials"),
    ("search", "objective", "search.objective: unknown key; objective belongs under tuner: "
     "tuner.objective"),
    ("training", "batch_size", "training.batch_size: unknown key; batch_size belongs under "
     "search: search.batch_size"),
    ("search", "lookback", "search.lookback: unknown key; lookback belongs under data: "
     "data.lookback"),
    ("tuner", "seed", "tuner.seed: unknown key; seed belongs at the top level or under "
                      "training: training.seed"),
    ("", "epochs", "epochs: unknown key; epochs belongs under training: training.epochs"),
])
def test_unknown_keys_get_a_close_match_or_their_section(section: str, key: str, expected: str,
                                                         isolated_workdir: Path):
    entry = f"{section}: {{{key}: 3}}\n" if section else f"{key}: 3\n"
    path = write_sweep(isolated_workdir, "name: a\n" + DATA + entry)
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == [expected]


def test_alias_bomb_refused_fast(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, _alias_bomb())
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="alias"):
        load_sweep(path)
    assert time.perf_counter() - started < 2.0


def test_recursive_alias_refused(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, "name: a\ndata: &d {source: builtin:airline, x: *d}\n")
    with pytest.raises(ConfigError, match="recursive YAML alias"):
        load_sweep(path)


# --------------------------------------------------------------------------- notes


def test_small_grid_is_a_note_not_an_error(isolated_workdir: Path,
                                           capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, (
        "name: a\n" + DATA + "search: {units: {choice: [8, 16]}, cell: {choice: [lstm, gru]}}\n"
        "tuner: {algorithm: grid, max_trials: 10}\n"
    ))
    loaded = load_sweep(path)
    assert any("grid has only 4 points" in n and "max_trials (10)" in n for n in loaded.notes)
    assert main(["validate", "--no-data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: tuner.max_trials: the grid has only 4 points" in out
    for name in SIDE_EFFECTS:
        assert not (isolated_workdir / name).exists()


def test_grid_larger_than_max_trials_says_only_some_are_tried(isolated_workdir: Path,
                                                              capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, (
        "name: a\n" + DATA + "search: {units: {choice: [8, 16, 32]}, cell: {choice: [lstm, gru]}}\n"
        "tuner: {algorithm: grid, max_trials: 4}\n"
    ))
    note = ("tuner.grid_order sequential: 4 of the grid's 6 combinations are tried, in "
            "keras-tuner's order (the last parameter changes fastest), so values of the first "
            "parameters may never be tried; tuner.grid_order: even tries every value of every "
            "parameter early, random a seeded random subset")
    assert note in load_sweep(path).notes
    assert main(["validate", "--no-data", str(path)]) == 0
    assert f"note: {note}" in capsys.readouterr().out
    path.write_text(path.read_text().replace("max_trials: 4", "max_trials: 6"))
    assert not any("grid" in n for n in load_sweep(path).notes)  # exactly the grid: no note


# --------------------------------------------------------------------------- data errors


def _data_sweep(folder: Path, **data: object) -> Path:
    fields = {"source": "series.csv", "target": "value", "time_column": "day", "lookback": 5,
              "split": "{validation: 10, test: 10}"}
    fields.update(data)
    body = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return write_sweep(folder, f"name: a\ndata: {{{body}}}\n")


def _replace_cell(csv_path: Path, row: int, text: str) -> None:
    lines = csv_path.read_text().splitlines()
    day, _, other = lines[row - 1].split(",")
    lines[row - 1] = f"{day},{text},{other}"
    csv_path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("case", [
    "unknown_target", "too_short", "non_numeric", "empty_cell", "missing_csv", "unknown_builtin",
])
def test_validate_reports_data_errors(case: str, isolated_workdir: Path,
                                      capsys: pytest.CaptureFixture[str]):
    csv_path = write_series_csv(isolated_workdir, rows=80)
    fragments: list[str]
    if case == "unknown_target":
        sweep = _data_sweep(isolated_workdir, target="nope")
        fragments = [str(csv_path), "data.target", "'nope'", "columns: day, value, other"]
    elif case == "too_short":
        sweep = _data_sweep(isolated_workdir, lookback=70)
        fragments = [str(csv_path), "80 rows are too few", "lookback 70", "train 60"]
    elif case == "non_numeric":
        _replace_cell(csv_path, 7, "abc")
        sweep = _data_sweep(isolated_workdir)
        fragments = [str(csv_path), "column 'value'", "row 7", "'abc' is not a number"]
    elif case == "empty_cell":
        _replace_cell(csv_path, 9, "")
        sweep = _data_sweep(isolated_workdir)
        fragments = [str(csv_path), "column 'value'", "row 9", "missing"]
    elif case == "missing_csv":
        sweep = _data_sweep(isolated_workdir, source="gone.csv")
        fragments = [str(isolated_workdir / "gone.csv"), "not found"]
    else:
        sweep = _data_sweep(isolated_workdir, source="builtin:nope")
        fragments = ["data.source", "'nope'", "builtin:airline", "builtin:sunspots",
                     "builtin:nile"]
    assert load_sweep(sweep)  # the file itself is fine; the data is not
    before = _snapshot(isolated_workdir)
    rc = main(["validate", str(sweep)])
    out, err = capsys.readouterr()
    assert rc == 2
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in out + err
    assert _snapshot(isolated_workdir) == before
    # --no-data skips the data check
    assert main(["validate", "--no-data", str(sweep)]) == 0


def test_validate_good_csv_summarises(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    write_series_csv(isolated_workdir, rows=80)
    sweep = _data_sweep(isolated_workdir)
    assert main(["validate", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "train_rows: 60" in out and "train_windows: 55" in out
    assert "train_range: 2024-01-01..2024-02-29" in out
    assert "test_rows: 10" in out and "test_windows: 10" in out


def test_validate_notes_batch_sizes_larger_than_the_training_set(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    write_series_csv(isolated_workdir, rows=80)  # 55 training windows
    sweep = _data_sweep(isolated_workdir)
    sweep.write_text(sweep.read_text() + "search: {batch_size: {choice: [16, 64, 128]}}\n")
    note = ("note: search.batch_size: 64, 128 are larger than the 55 training windows: trials "
            "with them train on a single batch per epoch")
    assert main(["validate", str(sweep)]) == 0
    assert note in capsys.readouterr().out
    assert main(["validate", "--no-data", str(sweep)]) == 0  # no data read, no note
    assert "note: search.batch_size" not in capsys.readouterr().out
    # searched lookbacks: the variant with the fewest windows counts
    sweep = _data_sweep(isolated_workdir, lookback="{choice: [5, 20]}")
    sweep.write_text(sweep.read_text() + "search: {batch_size: {choice: [50, 64]}}\n")
    assert main(["validate", str(sweep)]) == 0
    assert ("note: search.batch_size: every choice (50, 64) is larger than the 40 training "
            "windows (fewest of the searched data variants): each epoch is a single batch"
            ) in capsys.readouterr().out


def test_data_notes_count_sequences_and_stay_quiet_when_batches_fit():
    config = SweepConfig.model_validate({
        "name": "t", "data": {"source": "builtin:GunPoint", "task": "classify"},
        "search": {"batch_size": 64}})
    assert data_notes(config, [50]) == [
        "search.batch_size: 64 is larger than the 50 training sequences: each epoch is a single "
        "batch"]
    assert data_notes(config, [64]) == [] and data_notes(config, []) == []


# --------------------------------------------------------------------------- space summary


def _specs(search: dict) -> dict:
    return SweepConfig.model_validate(
        {"name": "t", "data": {"source": "builtin:nile"}, "search": search}
    ).search.specs()


def test_space_size_counts_per_layer_values_where_layers_exist():
    specs = _specs({"layers": {"int": [1, 3]}, "units": {"choice": [16, 32], "per_layer": True}})
    assert space_size(specs) == 2 + 4 + 8
    rows = dict(summary_rows(specs))
    assert rows == {"layers": "int 1..3", "units": "choice of 16, 32, per layer"}
    assert format_size(14) == "14 configurations"


def test_space_size_multiplies_other_factors_and_conditions():
    specs = _specs({
        "layers": {"int": [1, 3]},
        "units": {"choice": [16, 32], "per_layer": True},
        "cell": {"choice": ["lstm", "gru"]},
        "dense_layers": {"int": [0, 1]},
        "dense_units": {"choice": [8, 16, 32]},
        "conv_front": {"choice": [False, True]},
        "conv_filters": {"int": [8, 32], "step": 8},
        "optimizer": "adam",
    })
    recurrent = 2 + 4 + 8           # per-layer units over 1..3 layers
    cells = 2
    dense = 1 + 3                   # dense_units exists only with one dense layer
    conv = 1 + 4                    # 8, 16, 24, 32 filters, only with conv_front
    assert space_size(specs) == recurrent * cells * dense * conv == 560
    assert "optimizer" not in dict(summary_rows(specs))


def test_continuous_space_has_no_size(isolated_workdir: Path,
                                      capsys: pytest.CaptureFixture[str]):
    specs = _specs({"learning_rate": {"float": [1e-3, 1e-1], "log": True}})
    assert space_size(specs) is None
    assert format_size(space_size(specs)) == "continuous"
    assert dict(summary_rows(specs)) == {"learning_rate": "float 0.001..0.1, log"}
    path = write_sweep(isolated_workdir, "name: a\n" + DATA +
                       "search: {learning_rate: {float: [0.001, 0.1], log: true}}\n")
    assert main(["validate", "--no-data", str(path)]) == 0
    assert "space size: continuous" in capsys.readouterr().out


def test_validate_prints_space_size(isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, "name: a\n" + DATA + (
        "search: {layers: {int: [1, 3]}, units: {choice: [16, 32], per_layer: true}}\n"))
    assert main(["validate", "--no-data", str(path)]) == 0
    assert "space size: 14 configurations" in capsys.readouterr().out


def test_long_choices_are_abbreviated_on_one_line(isolated_workdir: Path,
                                                  capsys: pytest.CaptureFixture[str]):
    units = ", ".join(str(u) for u in range(8, 129))  # 121 values
    lookbacks = ", ".join(str(lb) for lb in range(12, 133))
    path = write_sweep(isolated_workdir, (
        f"name: a\ndata: {{source: builtin:airline, lookback: {{choice: [{lookbacks}]}}}}\n"
        f"search: {{units: {{choice: [{units}]}}, cell: {{choice: [lstm, gru]}}}}\n"))
    config = load_sweep(path).config
    rows = dict(summary_rows(config.search.specs()))
    assert rows["units"] == "choice of 8, 9, 10, 11, 12, ..., 128 (121 values)"
    assert rows["cell"] == "choice of lstm, gru"  # short lists stay whole
    assert main(["validate", "--no-data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "data.lookback  choice of 12, 13, 14, 15, 16, ..., 132 (121 values)" in out
    assert "choice of 8, 9, 10, 11, 12, ..., 128 (121 values)" in out
    assert max(len(line) for line in out.splitlines() if line.startswith("  ")) < 80


def test_long_lookback_lists_in_messages_are_abbreviated(isolated_workdir: Path):
    lookbacks = ", ".join(str(lb) for lb in range(1, 12))  # all shorter than airline's season 12
    path = write_sweep(isolated_workdir, (
        f"name: a\ndata: {{source: builtin:airline, lookback: {{choice: [{lookbacks}]}}}}\n"
        "search: {residual: seasonal_naive}\n"))
    with pytest.raises(ConfigError) as caught:
        load_sweep(path)
    assert caught.value.problems == [
        "search.residual: seasonal_naive needs data.season and a lookback of at least one season "
        "(season 12, lookback 1, 2, 3, 4, 5, ..., 11 (11 values))"]


# --------------------------------------------------------------------------- schema


def test_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"name", "data", "search", "tuner", "training", "tracking"} <= set(schema["properties"])
    assert schema["required"] == ["name", "data"] or set(schema["required"]) == {"name", "data"}


# --------------------------------------------------------------------------- YAML 1.2 floats


@pytest.mark.parametrize("text, value", [
    ("1e-4", 1e-4), ("1E-4", 1e-4), ("+1e-3", 1e-3), ("2.5e-3", 2.5e-3), ("5e-1", 0.5),
    ("1.0e-4", 1e-4),
])
def test_exponent_floats_are_numbers_as_in_yaml_1_2(text: str, value: float,
                                                    isolated_workdir: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    path = write_sweep(isolated_workdir, f"name: a\n{DATA}search: {{learning_rate: {text}}}\n")
    learning_rate = load_sweep(path).config.search.learning_rate
    assert learning_rate == pytest.approx(value) and isinstance(learning_rate, float)
    assert main(["validate", "--no-data", str(path)]) == 0
    # The JSON Schema (what an editor checks, reading YAML 1.2) admits a plain number here too.
    fixed = SweepConfig.model_json_schema()["$defs"]["SearchConfig"]["properties"][
        "learning_rate"]["oneOf"][-1]["anyOf"]
    assert {"type": "number"} in fixed


def test_yaml_reading_keeps_yes_no_and_leaves_pyyaml_alone(isolated_workdir: Path):
    import yaml

    from lstm_automl.sweep_file.yaml_text import parse_yaml

    parsed = parse_yaml("a: [1E5, -2e+3, yes, no, 1e, e5, 12, 0.5, '1e-4']\n", "s.yaml")
    assert parsed == {"a": [1e5, -2e3, True, False, "1e", "e5", 12, 0.5, "1e-4"]}
    assert isinstance(parsed["a"][0], float) and isinstance(parsed["a"][6], int)
    assert yaml.safe_load("a: 1e-4") == {"a": "1e-4"}  # only the sweep loader reads YAML 1.2 floats


def test_a_scalar_pyyaml_cannot_convert_is_a_config_error(tmp_path, capsys):
    from lstm_automl.cli import main

    path = write_sweep(tmp_path, "name: x\ndata: {source: builtin:airline}\nsearch: {units: 0x_}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "YAML value cannot be read" in err and "Traceback" not in err
