"""A Ray actor's scratch tuner folder: its worker removes it only when it provably is one."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from lstm_automl.distributed.worker_scratch import SCRATCH_ENV, make_scratch, remove_own_scratch


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # mkdtemp and gettempdir: here
    folder = Path(make_scratch())
    (folder / "sweep").mkdir()
    (folder / "sweep" / "oracle.json").write_text("{}")
    return folder


def test_the_worker_removes_the_folder_its_actor_made_for_this_sweep(
        scratch: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(SCRATCH_ENV, str(scratch))
    assert remove_own_scratch(str(scratch)) and not scratch.exists()


@pytest.mark.parametrize("case", ["no variable", "another tuner folder", "not our prefix",
                                  "outside the temporary directory"])
def test_anything_else_is_left_alone(case: str, scratch: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch):
    named, tuner = scratch, scratch
    if case == "another tuner folder":
        tuner = tmp_path / "runs"
    elif case == "not our prefix":
        named = tuner = tmp_path / "my-experiments"
        named.mkdir()
    elif case == "outside the temporary directory":
        named = tuner = tmp_path / "deeper" / scratch.name
        named.mkdir(parents=True)
    if case != "no variable":
        monkeypatch.setenv(SCRATCH_ENV, str(named))
    else:
        monkeypatch.delenv(SCRATCH_ENV, raising=False)
    assert not remove_own_scratch(str(tuner))
    assert named.exists() and scratch.exists()


def test_a_folder_whose_actor_died_is_removed_by_the_next_actor(scratch: Path, tmp_path: Path):
    """Its owner file names a process that has exited; folders of a live process, without an
    owner file, or not named with the prefix stay."""
    import socket
    import subprocess
    import sys

    from lstm_automl.distributed.worker_scratch import OWNER_FILE, remove_stale_scratch

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = socket.gethostname()
    (scratch / OWNER_FILE).write_text(f"{gone} {host}")  # that process has exited
    live = Path(make_scratch())  # owned by this test process
    unowned = tmp_path / "lstm-sweep-worker-unowned"
    unowned.mkdir()
    other = tmp_path / "experiment-1"
    other.mkdir()
    (other / OWNER_FILE).write_text(f"{gone} {host}")
    elsewhere = Path(make_scratch())  # made on another host sharing this temporary directory
    (elsewhere / OWNER_FILE).write_text(f"{gone} another-host")
    assert remove_stale_scratch() == [scratch]
    assert not scratch.exists()
    assert live.exists() and unowned.exists() and other.exists() and elsewhere.exists()
