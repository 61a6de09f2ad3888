"""A real Ray cluster of two node processes on this machine, for tests/distributed/test_ray.py.

Each node is a ``ray start --block`` in a process group of its own, so ending the cluster ends
exactly the processes it started (``ray stop`` would end every Ray instance on the machine).
Token authentication is on (a fresh token for this cluster), as it should be on a real one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

NODE_CPUS = 1  # per node: two nodes hold two workers at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRayCluster:
    """A head node and one more node; ``address`` is what ``--ray`` takes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.temp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ray{secrets.token_hex(3)}"
        self.scratch = folder / "node-tmp"  # the nodes' TMPDIR: where actors make folders
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        self.env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32),
                        RAY_USAGE_STATS_ENABLED="0", RAY_DEDUP_LOGS="0")
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def start(self, timeout: float = 120.0) -> None:
        port = free_port()
        ray = str(Path(sys.executable).with_name("ray"))
        common = ["--block", "--num-cpus", str(NODE_CPUS), "--num-gpus", "0",
                  "--object-store-memory", str(80 * 1024 * 1024), "--disable-usage-stats"]
        node_env = {**self.env, "TMPDIR": str(self.scratch)}
        self.nodes.append(self._start([ray, "start", "--head", "--port", str(port),
                                       "--temp-dir", str(self.temp), "--include-dashboard=false",
                                       "--dashboard-port", str(free_port()),
                                       "--ray-client-server-port", str(free_port()), *common],
                                      node_env, "head"))
        self.address = f"{self._node_ip()}:{port}"
        self._wait_for_nodes(1, timeout)
        self.nodes.append(self._start([ray, "start", "--address", self.address, *common],
                                      node_env, "node"))
        self._wait_for_nodes(2, timeout)

    def _start(self, command: list[str], env: dict[str, str], name: str
               ) -> subprocess.Popen[bytes]:
        log = (self.folder / f"ray-{name}.log").open("wb")
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    @staticmethod
    def _node_ip() -> str:
        """The address Ray gives this machine (it replaces 127.0.0.1 by it)."""
        from ray._private.services import get_node_ip_address

        return str(get_node_ip_address())

    def alive_nodes(self) -> int:
        probe = (f"import ray; ray.init(address={self.address!r}, configure_logging=False, "
                 f"log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))")
        done = subprocess.run([sys.executable, "-c", probe], env=self.env, capture_output=True,
                              text=True, timeout=60)
        lines = done.stdout.strip().splitlines()
        return int(lines[-1]) if done.returncode == 0 and lines else 0

    def _wait_for_nodes(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(node.poll() is not None for node in self.nodes):
                raise AssertionError("a Ray node exited at start: " + self.logs())
            if self.alive_nodes() >= count:
                return
            time.sleep(1)
        raise AssertionError(f"the Ray cluster did not reach {count} nodes: " + self.logs())

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-1500:]
                         for path in sorted(self.folder.glob("ray-*.log")))

    def stop(self) -> None:
        """SIGTERM to each node's process group, SIGKILL to what is left after a few seconds
        (a node drains for up to 30 s otherwise), then to Ray's worker processes, which the
        nodes started in sessions of their own (found as their descendants beforehand)."""
        started = {found for node in self.nodes for found in descendants(node.pid)}
        for node in reversed(self.nodes):
            _signal_group(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for node in reversed(self.nodes):
            try:
                node.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(node.pid, signal.SIGKILL)
            node.wait(timeout=30)
        for pid, born in started:
            if _start_time(pid) == born:  # the same process, not a later one with its pid
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.temp, ignore_errors=True)  # Ray's session folder, named for this run


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[19] if fields else None


def descendants(root: int) -> set[tuple[int, str]]:
    """The processes below ``root`` now (children, their children, ...) with their start
    times, from /proc."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            parents[int(entry.name)] = (int(fields[1]), fields[19])
    found: set[tuple[int, str]] = set()
    todo = [root]
    while todo:
        current = todo.pop()
        children = [(pid, born) for pid, (parent, born) in parents.items() if parent == current]
        found.update(children)
        todo.extend(pid for pid, _ in children)
    return found


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
