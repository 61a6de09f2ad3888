"""Presets: a file's unwritten keys resolved once, from the preset and the training rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.config.presets import PRESET_ENV
from lstm_automl.config.schema import ChoiceSpec
from lstm_automl.data.series_profile import profile_series
from lstm_automl.sweep_file.loader import load_sweep


def _monthly_csv(folder: Path, values: np.ndarray, name: str = "series.csv") -> Path:
    months = [f"{1950 + i // 12}-{i % 12 + 1:02d}" for i in range(len(values))]
    path = folder / name
    rows = "".join(f"{m},{v:.4f}\n" for m, v in zip(months, values, strict=True))
    path.write_text("month,value\n" + rows)
    return path


def _growing_seasonal(n: int = 144) -> np.ndarray:
    """Airline-like: an exponential trend times a seasonal pattern, multiplicative noise."""
    t = np.arange(n)
    noise = np.random.default_rng(0).normal(0, 0.02, n)
    return 100 * np.exp(0.01 * t + 0.15 * np.sin(2 * np.pi * t / 12) + noise)


def _first_sweep(source: str, extra: str = "") -> str:
    """What a first user writes: data and a small search space."""
    return (f"name: first\ndata:\n  source: {source}\n  time_column: month\n  target: value\n"
            f"  split: {{validation: 24, test: 24}}\n{extra}search:\n"
            f"  units: {{choice: [8, 16]}}\n")


def test_a_trending_positive_seasonal_series_gets_log_a_window_level_and_seasonal_options(
        tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal())
    loaded = load_sweep(write_sweep(tmp_path, _first_sweep("series.csv") + "preset: good\n"))
    config = loaded.config
    assert loaded.preset == "good"
    assert config.data.transform == "log"
    assert config.data.lookback == 25
    assert config.search.window_norm == "last"
    assert config.search.residual == ChoiceSpec(choice=["none", "seasonal_naive", "ar"])
    assert (config.tuner.algorithm, config.tuner.max_trials) == ("bayesian", 20)
    assert (config.training.epochs, config.training.early_stopping_patience) == (60, 8)
    final = config.final_model
    assert (final.top_k, final.seeds, final.refit) == (5, 2, True)
    assert final.blend == "with_baselines"
    assert any(line.startswith("data.transform: log (positive; its spread grows")
               for line in loaded.preset_choices)


def test_the_blend_is_chosen_for_one_series_only_where_the_file_leaves_final_model_out(
        tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal())
    written = load_sweep(write_sweep(tmp_path, _first_sweep("series.csv") + (
        "final_model: {top_k: 2}\npreset: good\n")))
    assert written.config.final_model.blend == "networks"
    assert not any(c.startswith("final_model.") for c in written.preset_choices)
    classify = load_sweep(write_sweep(tmp_path, (
        "name: c\ndata: {source: builtin:GunPoint, task: classify, split: {validation: 0.2}}\n"
        "search: {units: {choice: [8, 16]}}\npreset: good\n")))
    assert classify.config.final_model.blend == "networks"  # no classical forecasts to blend
    assert classify.config.final_model.top_k == 5


def test_explicit_keys_and_overrides_always_win(tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal())
    extra = "  transform: none\n  lookback: 10\n"
    text = _first_sweep("series.csv", extra) + (
        "  window_norm: none\ntuner: {algorithm: random, max_trials: 3}\npreset: best\n")
    loaded = load_sweep(write_sweep(tmp_path, text), ["training.epochs=2"])
    config = loaded.config
    assert (config.data.transform, config.data.lookback) == ("none", 10)
    assert config.search.window_norm == "none"
    assert (config.tuner.algorithm, config.tuner.max_trials) == ("random", 3)
    assert config.training.epochs == 2
    assert config.training.early_stopping_patience == 12  # unwritten: best's
    assert config.final_model.top_k == 3  # best's 5, at most the trials the file runs
    written = {line.split(":")[0] for line in loaded.preset_choices}
    assert not written & {"data.transform", "data.lookback", "search.window_norm",
                          "tuner.algorithm", "tuner.max_trials", "training.epochs"}


def test_a_written_final_model_and_a_differencing_transform_are_kept_whole(tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal())
    text = _first_sweep("series.csv", "  transform: log_diff\n") + (
        "final_model: {top_k: 2}\npreset: good\n")
    loaded = load_sweep(write_sweep(tmp_path, text))
    final = loaded.config.final_model
    assert (final.top_k, final.seeds, final.refit) == (2, 1, False)  # not 2 x 2 seeds, refit
    search = loaded.config.search
    assert (search.window_norm, search.residual) == ("none", "none")  # the diff took the level
    assert any("window_norm and residual left as written" in line
               for line in loaded.preset_choices)


def test_a_short_series_caps_the_lookback(tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal(96))  # 48 training rows
    loaded = load_sweep(write_sweep(tmp_path, _first_sweep("series.csv")
                                    + "preset: fast\n"))
    assert loaded.config.data.lookback == 16  # a third of the training rows, not 25
    assert any("capped at 16, a third of the 48 training rows" in line
               for line in loaded.preset_choices)
    assert loaded.config.search.residual.choice == ["none", "seasonal_naive"]  # fast: no AR


def test_a_series_without_a_season_searches_no_seasonal_option(tmp_path, monkeypatch):
    monkeypatch.delenv(PRESET_ENV)
    walk = 50 + np.cumsum(np.random.default_rng(1).normal(0, 1, 200))
    path = tmp_path / "walk.csv"
    path.write_text("step,value\n" + "".join(f"{i},{v:.4f}\n" for i, v in enumerate(walk)))
    text = ("name: walk\ndata: {source: walk.csv, time_column: step, target: value, "
            "split: {validation: 20, test: 20}}\nsearch: {units: 8}\n")
    config = load_sweep(write_sweep(tmp_path, text)).config  # the default preset: good
    assert config.data.season is None and config.data.lookback == 24
    assert config.data.transform == "none"
    assert config.search.residual == ChoiceSpec(choice=["none", "naive", "ar"])
    assert config.search.window_norm == "last"  # a random walk has a unit root


def test_preset_none_and_the_environment_keep_the_schema_defaults(tmp_path, monkeypatch):
    _monthly_csv(tmp_path, _growing_seasonal())
    path = write_sweep(tmp_path, _first_sweep("series.csv"))
    bare = load_sweep(path)  # the test suite's environment: none
    assert bare.preset_choices == [] and bare.config.data.lookback == 12
    assert bare.config.search.window_norm == "none" and bare.config.final_model.top_k == 1
    monkeypatch.setenv(PRESET_ENV, "fast")
    assert load_sweep(path).config.tuner.max_trials == 8
    explicit = write_sweep(tmp_path, _first_sweep("series.csv") + "preset: none\n", "n.yaml")
    assert load_sweep(explicit).config.model_dump() == bare.config.model_dump()


def test_an_unknown_preset_is_refused_naming_the_key(tmp_path, capsys):
    _monthly_csv(tmp_path, _growing_seasonal())
    path = write_sweep(tmp_path, _first_sweep("series.csv") + "preset: quick\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "preset: 'quick' is not allowed; expected one of: none, fast, good, best" in err
    assert "Traceback" not in err


def test_a_wrong_preset_in_the_environment_is_refused(tmp_path, capsys, monkeypatch):
    _monthly_csv(tmp_path, _growing_seasonal())
    path = write_sweep(tmp_path, _first_sweep("series.csv"))
    monkeypatch.setenv(PRESET_ENV, "turbo")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"${PRESET_ENV}: 'turbo' is not a preset; expected one of: none, fast, good, best" \
        in err and "Traceback" not in err


def test_the_shipped_quickstart_is_untouched_by_the_default_preset(monkeypatch):
    from conftest import SWEEPS

    bare = load_sweep(SWEEPS / "quickstart.yaml")
    monkeypatch.setenv(PRESET_ENV, "good")
    resolved = load_sweep(SWEEPS / "quickstart.yaml")
    assert resolved.preset_choices == []
    assert resolved.config.model_dump() == bare.config.model_dump()


def test_a_classifier_of_numeric_sequences_gets_the_fcn_branch_unless_written(tmp_path):
    first = ("name: cls\npreset: good\ndata: {source: 'builtin:GunPoint', task: classify}\n"
             "search: {units: 8%s}\n")
    loaded = load_sweep(write_sweep(tmp_path, first % ""))
    assert loaded.config.search.fcn_branch is True
    assert any(line.startswith("search.fcn_branch: true (classification: LSTM-FCN")
               for line in loaded.preset_choices)
    written = load_sweep(write_sweep(tmp_path, first % ", fcn_branch: false", "w.yaml"))
    assert written.config.search.fcn_branch is False
    assert not any("fcn_branch" in line for line in written.preset_choices)
    none = load_sweep(write_sweep(tmp_path, (first % "").replace("good", "none"), "n.yaml"))
    assert none.config.search.fcn_branch is False


def test_a_text_classifier_gets_no_fcn_branch_from_the_preset(monkeypatch):
    from conftest import SWEEPS

    monkeypatch.setenv(PRESET_ENV, "good")
    loaded = load_sweep(SWEEPS / "text_example.yaml")  # task: classify over raw strings
    assert loaded.preset == "good" and loaded.config.search.fcn_branch is False
    assert not any("fcn_branch" in line for line in loaded.preset_choices)


def test_a_forecast_gets_no_fcn_branch_from_the_preset(tmp_path):
    _monthly_csv(tmp_path, _growing_seasonal())
    loaded = load_sweep(write_sweep(tmp_path, _first_sweep("series.csv") + "preset: good\n"))
    assert loaded.config.search.fcn_branch is False


def test_profile_tells_trend_season_and_growth_apart():
    growing = profile_series(_growing_seasonal()[:96], 12)
    assert growing.wants_log and growing.trending and growing.seasonal
    flat = profile_series(np.random.default_rng(2).normal(10, 1, 120), 12)
    assert not flat.trending and not flat.seasonal and not flat.wants_log


def test_validate_prints_the_choices_and_imports_no_framework(tmp_path):
    from test_cli_light import PROBE, _env

    _monthly_csv(tmp_path, _growing_seasonal())
    path = write_sweep(tmp_path, _first_sweep("series.csv") + "preset: good\n")
    result = subprocess.run([sys.executable, "-c", PROBE, "validate", str(path)], cwd=tmp_path,
                            env=_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY_MODULES=[]" in result.stdout
    assert "preset good (the values this file leaves out):" in result.stdout
    assert "  data.lookback: 25 (two seasons of 12 and one step)" in result.stdout
    assert "  tuner.max_trials: 20" in result.stdout


@pytest.mark.slow
@pytest.mark.backend_contract
def test_a_first_sweep_runs_under_preset_fast(tmp_path, capsys):
    _monthly_csv(tmp_path, _growing_seasonal(120))
    path = write_sweep(tmp_path, _first_sweep("series.csv") + "preset: fast\n")
    assert main(["run", str(path), "--set", "training.epochs=1", "--set",
                 "tuner.max_trials=2"]) == 0
    out = capsys.readouterr().out
    assert "strongest baseline" in out
    assert "preset fast: " in out and "data.lookback" in out  # the run header names them
