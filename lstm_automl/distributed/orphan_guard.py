"""Child processes that end with their parent, started without forking a threaded process.

A Popen ``preexec_fn`` makes CPython fork the whole parent (JAX, gRPC and MLflow threads
included) and run Python in the copy before ``exec``: JAX warns that this may deadlock each
time (``os.fork() was called``), and it may. So workers, recycled processes and the local mlflow
server start plainly (no Python code runs between fork and exec) through this module, which
asks Linux to send the new process SIGTERM when its parent dies, then runs the real module as
``__main__``: ``python -m lstm_automl.distributed.orphan_guard PARENT_PID MODULE ARGS...``.

Standard library only: it runs before the module it starts imports anything.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
from collections.abc import Sequence

__all__ = ["die_with_parent", "guarded_command"]

PR_SET_PDEATHSIG = 1


def guarded_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m MODULE ARGS`` as a child of this process that
    gets SIGTERM when this process dies, even by kill -9."""
    return [sys.executable, "-m", __name__, str(os.getpid()), module, *args]


def die_with_parent(parent: int) -> None:
    """Linux: SIGTERM to this process when ``parent`` dies; at once if it already has (it died
    between starting this process and this call). Elsewhere nothing: the child outlives it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str]) -> None:
    parent, module, *args = argv
    die_with_parent(int(parent))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
