"""Children started through ``orphan_guard``: no fork of the (threaded) parent, and still gone
when the parent dies by kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from child_processes import env_for_child
from conftest import PROJECT_ROOT

PARENT = """
import subprocess, sys, threading, time
from lstm_automl.distributed.orphan_guard import guarded_command

threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a threaded parent
child = subprocess.Popen(guarded_command("sleeper", "a", "b"))
print(child.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in state  # a zombie waiting for its new parent to reap it


def test_child_runs_the_module_with_its_arguments_and_dies_with_its_parent(tmp_path):
    (tmp_path / "sleeper.py").write_text(
        "import sys, time\nopen('argv.txt', 'w').write(' '.join(sys.argv[1:]))\ntime.sleep(60)\n")
    env = env_for_child(PYTHONPATH=os.pathsep.join([str(tmp_path), str(PROJECT_ROOT)]),
                        PYTHONWARNINGS="always")
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not (tmp_path / "argv.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "argv.txt").read_text() == "a b"
        assert not _gone(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child), "the child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    assert "fork" not in parent.stderr.read()  # type: ignore[union-attr]
