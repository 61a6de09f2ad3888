"""A local ``mlflow server`` for the lifetime of a sweep (and for tests that need a real server).

Several processes must not write one sqlite file at once (sqlite locks, MLflow's migrations
race); one server in front of it serialises their writes. It binds 127.0.0.1, or for Ray
workers on other nodes the address they reach this machine at (MLflow then accepts requests
naming that address only: its guard against DNS rebinding).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lstm_automl.distributed.orphan_guard import guarded_command
from lstm_automl.errors import TrackingError


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    """A running ``mlflow server`` child process."""

    process: subprocess.Popen[bytes]
    uri: str
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server and its workers (it runs in its own process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=timeout)


def start_server(backend_uri: str, artifacts: Path, log: Path, port: int | None = None,
                 host: str = "127.0.0.1", timeout: float = 120.0) -> LocalServer:
    """Start ``mlflow server`` on ``host:port`` and wait until it answers /health."""
    port = port or free_port(host)
    artifacts.mkdir(parents=True, exist_ok=True)
    # Ends with this process, even on kill -9 (orphan_guard.py: no fork of a threaded parent).
    command = guarded_command("mlflow", "server", "--backend-store-uri", backend_uri,
                              "--artifacts-destination", str(artifacts), "--host", host,
                              "--port", str(port), "--workers", "1",
                              *([] if host == "127.0.0.1" else
                                ["--allowed-hosts", f"{host},{host}:{port}"]))
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    # The server's job runner (huey consumers, for MLflow's GenAI jobs) is not used here and
    # costs CPU the trials need: two more Python processes per server, seen polling all along.
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    handle = log.open("ab")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    handle.close()
    server = LocalServer(process, f"http://{host}:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            tail = log.read_text(errors="replace")[-600:]
            raise TrackingError(f"the local mlflow server exited at start (see {log}): {tail}")
        try:
            with urllib.request.urlopen(f"{server.uri}/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.5)
    server.stop()
    raise TrackingError(f"the local mlflow server did not answer within {timeout:.0f}s "
                        f"(see {log})")
