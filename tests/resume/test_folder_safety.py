"""The sweep folder is used only when it is absent, empty or provably lstm-sweep's (issue 20.1).

``tuner.directory/name`` may name any folder; a folder not ours is refused with exit 2 before a
file or an MLflow run exists, by ``validate`` too, and ``--fresh`` deletes only our own files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.errors import ConfigError
from lstm_automl.resume.folder_safety import folder_problem, remove_own_files
from lstm_automl.resume.state_folder import STATE_FILE, open_folder

SWEEP = """
name: {name}
seed: 3
data: {{source: builtin:nile, lookback: 6}}
search: {{units: {{choice: [4]}}}}
tuner: {{algorithm: random, max_trials: 1, directory: "{directory}"}}
training: {{epochs: 1}}
"""


def _created(folder: Path) -> list[str]:
    """What a refused run must not have left behind: an MLflow store or a sweep folder."""
    return sorted(p.name for p in folder.iterdir() if p.name in ("mlflow.db", "mlruns",
                                                                 "mlartifacts", ".lstm_sweep"))


def _own_folder(folder: Path) -> None:
    """A sweep folder as lstm-sweep and keras-tuner leave it."""
    open_folder(folder, {"seed": "1"}, "h", False, "x")
    (folder / "oracle.json").write_text("{\"trials\": []}")
    (folder / "worker-a.json").write_text("{}")
    (folder / "trial_0").mkdir()
    for name in ("trial.json", "build_config.json", "checkpoint.weights.h5"):
        (folder / "trial_0" / name).write_text("x")


@pytest.mark.parametrize("command", [["validate", "--no-data"], ["run"], ["run", "--fresh"],
                                     ["chief", "--fresh"]])
def test_a_user_folder_named_like_the_sweep_is_refused_and_kept(tmp_path, capsys, command):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("mine")
    path = write_sweep(tmp_path, SWEEP.format(name="results", directory="."))

    assert main([*command, str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: tuner.directory/name: results is not empty and has no {STATE_FILE}" in err
    assert "(notes.txt)" in err and "Pick another tuner.directory or name" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "results" / "notes.txt").read_text() == "mine"
    assert _created(tmp_path) == []


def test_the_project_folder_itself_is_refused(tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "train.py").write_text("print()")
    monkeypatch.chdir(project)
    path = write_sweep(project, SWEEP.format(name="project", directory=".."))

    for command in (["validate", "--no-data"], ["run"], ["run", "--fresh"]):
        assert main([*command, str(path)]) == 2
        assert "../project is the current folder" in capsys.readouterr().err
    assert sorted(p.name for p in project.iterdir()) == [".git", "sweep.yaml", "train.py"]
    assert _created(project) == [] and _created(tmp_path) == []


def test_what_is_refused_and_what_is_ours(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert folder_problem(tmp_path / "absent") is None
    (tmp_path / "empty").mkdir()
    assert folder_problem(tmp_path / "empty") is None
    assert "is your home folder" in folder_problem(tmp_path / "home")
    assert "contains the current folder" in folder_problem(tmp_path.parent)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert "is a git repository" in folder_problem(repo)
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert "is a symbolic link" in folder_problem(tmp_path / "link")

    ours = tmp_path / "ours"
    _own_folder(ours)
    assert folder_problem(ours) is None
    (ours / "trial_0" / "plot.png").write_text("mine")
    assert "did not write (trial_0/plot.png)" in folder_problem(ours)
    (ours / "trial_0" / "plot.png").unlink()
    (ours / "data.csv").symlink_to(tmp_path / "elsewhere.csv")
    assert "did not write (data.csv)" in folder_problem(ours)
    (ours / "data.csv").unlink()

    other = tmp_path / "other"
    other.mkdir()
    (other / STATE_FILE).write_text(json.dumps({"version": 3}))
    assert "was not written by lstm-sweep" in folder_problem(other)
    with pytest.raises(ConfigError):
        open_folder(other, {"seed": "1"}, "h", True, "x")
    assert (other / STATE_FILE).exists()


def test_fresh_deletes_only_our_files(tmp_path):
    ours = tmp_path / "ours"
    _own_folder(ours)
    opened = open_folder(ours, {"seed": "2"}, "h2", True, "x")
    assert not opened.resumed and "(1 trial)" in opened.notes[0]
    assert sorted(p.name for p in ours.iterdir()) == [STATE_FILE]

    # Defence in depth: a file slipped in after the check is never deleted.
    _own_folder(tmp_path / "again")
    (tmp_path / "again" / "trial_0" / "notes.txt").write_text("mine")
    (tmp_path / "again" / "README").write_text("mine")
    remove_own_files(tmp_path / "again")
    left = sorted(str(p.relative_to(tmp_path / "again")) for p in (tmp_path / "again").rglob("*"))
    assert left == ["README", "trial_0", os.path.join("trial_0", "notes.txt")]


def test_a_marker_left_half_written_by_a_kill_is_ours(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / f".{STATE_FILE}.tmp").write_text("{\"sweep_")
    assert folder_problem(folder) is None
    assert not open_folder(folder, {"seed": "1"}, "h", False, "x").resumed
