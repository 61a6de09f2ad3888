"""The Python API (lstm_automl.run, validate, SweepResult): the command line's semantics from a
notebook. Real training on tiny data, a real sqlite MLflow store in the test's folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, SWEEPS

TINY = {
    "name": "api",
    "seed": 3,
    "data": {"source": "builtin:nile", "lookback": 6, "split": {"validation": 0.2, "test": 0.2}},
    "search": {"cell": {"choice": ["gru", "lstm"]}, "units": {"choice": [4, 8]}},
    "tuner": {"algorithm": "random", "max_trials": 5},
    "training": {"epochs": 1, "early_stopping_patience": None},
    "tracking": {"champion_must_beat_baseline": False},  # 1 epoch loses: the alias is tested
}
HEAVY = ("tensorflow", "keras", "keras_tuner", "mlflow", "jax", "torch")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}


@pytest.mark.slow
@pytest.mark.backend_contract
def test_run_from_a_dict_gives_leaderboard_verdict_and_a_model_that_predicts(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    import pandas as pd

    import lstm_automl
    from lstm_automl.cli import main

    result = lstm_automl.run(TINY, overrides={"tuner.max_trials": 2})
    out = capsys.readouterr().out
    assert "Leaderboard (2 of 2 trials completed" in out and result.ui_url in out
    board = result.leaderboard
    assert isinstance(board, pd.DataFrame) and len(board) == 2
    assert list(board["rank"]) == [1, 2] and board["val_loss"].is_monotonic_increasing
    assert set(board["status"]) == {"completed"} and {"cell", "units"} <= set(board.columns)
    assert main(["leaderboard", "--format", "json"]) == 0  # the CLI lists the same rows
    listed = json.loads(capsys.readouterr().out)["trials"]
    assert [t["trial"] for t in listed] == board["trial"].tolist()
    assert [t["val_loss"] for t in listed] == pytest.approx(board["val_loss"].tolist())

    verdict = result.verdict
    assert verdict.baseline is not None and verdict.beats is not None
    assert verdict.sentence().startswith(("Beats", "LOSES"))
    assert result.test_metrics["rmse"] == pytest.approx(verdict.champion)
    assert result.model_uri == "models:/api@champion" and result.version_uri == "models:/api/1"
    assert result.ui_url == (f"http://127.0.0.1:5000/#/experiments/{result.experiment_id}"
                             f"?workflowType=machine_learning")
    history = pd.DataFrame({"volume": [1100.0, 1000.0, 900.0, 950.0, 1020.0, 880.0, 910.0]})
    predicted = result.predict(history)
    assert predicted.shape[0] == 1 and predicted.iloc[0, 0] > 0

    again = lstm_automl.run(TINY, overrides={"tuner.max_trials": 2}, quiet=True)
    assert again.already_complete and again.run_id == result.run_id  # read back, not retrained
    assert again.leaderboard["trial"].tolist() == board["trial"].tolist()
    assert "already complete" in capsys.readouterr().out


@pytest.mark.slow
def test_the_notebook_example_runs_a_sweep_file_and_predicts(isolated_workdir: Path):
    """examples/notebook_quickstart.py: run from a path, inspect, load, predict."""
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "examples" /
                                               "notebook_quickstart.py")],
                          cwd=isolated_workdir, env=_env(), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "trial-001" in out and "trial-002" in out
    assert "models:/notebook-quickstart" in out
    assert "#/experiments/" in out and "workflowType=machine_learning" in out
    assert "passengers_h1" in out
    assert (isolated_workdir / "mlflow.db").exists()


def test_validate_a_bad_dict_raises_the_config_error_naming_the_key(isolated_workdir: Path):
    import lstm_automl
    from lstm_automl.errors import ConfigError

    bad = {**TINY, "tuner": {"algorithm": "random", "max_trials": 0}}
    with pytest.raises(ConfigError) as caught:
        lstm_automl.validate(bad)
    assert str(caught.value).startswith("sweep dict: tuner.max_trials: ")
    with pytest.raises(ConfigError, match=r"^sweep dict: --set training\.epochs: "):
        lstm_automl.run(TINY, overrides={"training.epochs": "many"})
    with pytest.raises(ConfigError, match="not plain data"):
        lstm_automl.validate({**TINY, "name": object()})
    assert list(isolated_workdir.iterdir()) == []  # no store, no state folder


def test_validate_resolves_a_dict_like_its_file_and_overrides_like_set(isolated_workdir: Path):
    import yaml

    import lstm_automl

    path = SWEEPS / "quickstart.yaml"
    from_file = lstm_automl.validate(path, ["search.units={choice: [8, 16]}"], data=False)
    as_dict = yaml.safe_load(path.read_text())
    from_dict = lstm_automl.validate(as_dict, {"search.units": {"choice": (8, 16)}}, data=False)
    assert from_dict.config == from_file.config
    assert ("units", "choice of 8, 16") in from_dict.searched
    assert from_file.lines()[0].startswith(f"{path}: valid sweep 'quickstart'")
    checked = lstm_automl.validate(path)
    assert checked.data is not None and checked.data_summary["test_range"] == "1959-01..1960-12"
    assert list(isolated_workdir.iterdir()) == []


def test_a_dict_sweep_reads_relative_data_paths_from_the_current_folder(
        isolated_workdir: Path):
    import shutil

    import lstm_automl
    from lstm_automl.errors import DataError

    sweep = {**TINY, "data": {"source": "airline.csv", "target": "passengers", "lookback": 6}}
    with pytest.raises(DataError, match="airline.csv"):
        lstm_automl.validate(sweep)
    shutil.copy(PROJECT_ROOT / "datasets" / "airline.csv", isolated_workdir)
    assert lstm_automl.validate(sweep).data_summary["target"] == "passengers"


def test_workers_need_a_sweep_file(isolated_workdir: Path):
    import lstm_automl
    from lstm_automl.errors import ConfigError

    with pytest.raises(ConfigError, match="worker processes read the sweep from a file"):
        lstm_automl.run(TINY, workers=2)
    assert not (isolated_workdir / "mlflow.db").exists()


def test_import_and_validate_stay_light(isolated_workdir: Path):
    """``import lstm_automl`` and ``validate`` from Python load no ML framework and no MLflow."""
    probe = (f"import sys, lstm_automl\n"
             f"assert lstm_automl.validate({str(SWEEPS / 'quickstart.yaml')!r}).name == "
             f"'quickstart'\n"
             f"print('HEAVY=' + repr([m for m in {HEAVY!r} if m in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=isolated_workdir, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEAVY=[]" in done.stdout
    assert list(isolated_workdir.iterdir()) == []


def test_the_ui_link_opens_the_runs_view_of_the_store_it_names():
    from lstm_automl.tracking.ui_link import experiment_url, ui_command

    assert experiment_url("sqlite:///mlflow.db", "3") == \
        "http://127.0.0.1:5000/#/experiments/3?workflowType=machine_learning"
    assert experiment_url("https://user:secret@mlflow.example.com/base/?token=x", "7") == \
        "https://mlflow.example.com/base/#/experiments/7?workflowType=machine_learning"
    assert ui_command("sqlite:///mlflow.db") == "mlflow ui --backend-store-uri sqlite:///mlflow.db"
    assert ui_command("http://127.0.0.1:5000") is None
