"""Side-by-side timing across Keras backends: one child process per backend, driven in lockstep.

Keras fixes its backend when it is first imported, so a benchmark that compares TensorFlow with
JAX needs one process per backend. Timing them one after the other would let a shared machine's
load drift between the two; instead the parent starts both children at once, and then asks them
for one measurement at a time, alternately (TensorFlow, JAX, TensorFlow, JAX, ...), so only one
trains at any moment and each round's ratio pairs two measurements taken seconds apart.

A child is the same script started with ``--serve`` and ``KERAS_BACKEND`` set. It reads one JSON
command per line on stdin and answers with one JSON line on its stdout; everything it prints
goes to stderr (the parent's terminal). The parent never imports Keras.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BACKENDS = ("tensorflow", "jax")
Handler = Callable[[dict[str, Any]], Any]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both",
                        help="Keras backend(s) to time, each in its own process (default both, "
                             "side by side)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)


def chosen(args: argparse.Namespace) -> list[str]:
    return list(BACKENDS) if args.backend == "both" else [args.backend]


class Child:
    """One backend's process: send a command, read its answer."""

    def __init__(self, script: Path, backend: str, argv: list[str]) -> None:
        self.backend = backend
        env = {**os.environ, "KERAS_BACKEND": backend}
        self.process = subprocess.Popen(
            [sys.executable, str(script), "--serve", "--backend", backend, *argv], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, op: str, **payload: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **payload}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise SystemExit(f"the {self.backend} process ended (exit {code}) while doing {op}")
        answer = json.loads(line)
        if "error" in answer:
            raise SystemExit(f"the {self.backend} process failed at {op}: {answer['error']}")
        return answer["result"]

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextlib.contextmanager
def children(script: str, backends: list[str], argv: list[str]) -> Any:
    """Start one child per backend (the parent's own arguments, minus --backend, forwarded)."""
    forwarded = _without_backend(argv)
    started = [Child(Path(script).resolve(), b, forwarded) for b in backends]
    try:
        yield {c.backend: c for c in started}
    finally:
        for child in started:
            child.close()


def _without_backend(argv: list[str]) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--backend":
            skip = True
            continue
        if item.startswith("--backend="):
            continue
        out.append(item)
    return out


def serve(handlers: dict[str, Handler]) -> None:
    """The child's loop: answer each command with its handler's JSON-able result."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints (Keras, MLflow) go to stderr
    sys.stdout = sys.stderr
    for line in sys.stdin:
        command = json.loads(line)
        try:
            result = handlers[command.pop("op")](command)
            answers.write(json.dumps({"result": result}) + "\n")
        except Exception as error:  # noqa: BLE001 - the parent reports it and stops
            answers.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")


def backend_versions(backends: list[str]) -> str:
    """Versions of the frameworks the backends need, for the report's settings line."""
    from importlib import metadata

    packages = {"tensorflow": "tensorflow", "jax": "jax"}
    found = []
    for backend in backends:
        try:
            found.append(f"{packages[backend]} {metadata.version(packages[backend])}")
        except metadata.PackageNotFoundError:
            found.append(f"{packages[backend]} not installed")
    return ", ".join(found)
