"""``run --ray``: workers placed by a real Ray cluster of two node processes on this machine.

The cluster (tests/distributed/ray_cluster.py: ``ray start --block`` twice, one CPU each, token
authentication, ended by process group) serves one test: a second one would start it again
wherever pytest-xdist runs it apart (``--dist load``). The sweep is tiny (Nile, one 8-unit
layer); the serial run it is compared with runs in this process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from child_processes import START_TIMEOUT, runs, spawn, sqlite_uri, wait_until
from conftest import write_sweep
from lstm_automl.distributed.ray_workers import RAY_MISSING, ray_installed
from lstm_automl.distributed.worker_pool import WorkerPool

pytestmark = pytest.mark.xdist_group("ray-cluster")

# One good learning rate and far too slow ones: the best trial is the same whoever trains it.
SWEEP = """
name: {name}
seed: 3
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  units: 8
  batch_size: 8
  learning_rate: {{choice: [0.03, 0.0001, 0.0002, 0.0003]}}
tuner: {{algorithm: random, max_trials: {trials}}}
training: {{epochs: {epochs}, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}
"""

needs_ray = pytest.mark.skipif(not ray_installed(),
                               reason="ray is not installed (pip install 'lstm-sweep[ray]')")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    from ray_cluster import LocalRayCluster

    started = LocalRayCluster(tmp_path_factory.mktemp("ray-cluster"))
    try:
        started.start()
        yield started
    finally:
        started.stop()


def census(uri: str, experiment: str) -> tuple[list[tuple[str, str, str]], str, str]:
    """Each finished trial's (id, learning rate, status tag), the best trial's run name and the
    sweep's verdict tag."""
    parents, children = runs(uri, experiment)
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    finished = sorted((c.data.tags["trial_id"], c.data.params["learning_rate"],
                       c.data.tags["status"]) for c in children if c.info.status == "FINISHED")
    tags = parents[0].data.tags
    return finished, tags["best_trial"], tags["lstm_sweep.verdict"]


def registered_versions(uri: str, name: str) -> list[str]:
    import mlflow

    client = mlflow.MlflowClient(uri, registry_uri=uri)
    return [str(v.version) for v in client.search_model_versions(f"name = '{name}'")]


@pytest.mark.slow
@needs_ray
def test_a_cluster_sweep_with_a_killed_actor_matches_the_serial_run_without_a_shared_folder(
        cluster, tmp_path: Path):
    """One sweep on the cluster proves three things (one cluster start, one sweep: CI time).
    SIGKILL to a worker actor mid-trial: the chief closes its run as KILLED and starts an actor
    with the same id, which trains that trial again. Still the same trials, statuses, best trial
    and verdict as the serial run. No shared folder: each actor trained in a temporary folder of
    its own, removed when it ends (all but the killed one's), and the chief registered the best
    model from the checkpoints it fetched from the tracking server."""
    import os
    import signal

    from lstm_automl.cli import main

    # epochs: long enough to kill into (the serial run has the same, for the same census)
    text = SWEEP.format(name="same", trials=3, epochs=40)
    serial = tmp_path / "serial"
    serial.mkdir()
    path = write_sweep(serial, text)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(serial)
        assert main(["run", str(path), "-q"]) == 0
    expected = census(sqlite_uri(serial), "same")
    assert len(expected[0]) == 3

    placed = tmp_path / "placed"
    placed.mkdir()
    path = write_sweep(placed, text)
    process, out = spawn(placed, path.name, "--ray", cluster.address, env=cluster.env)
    begun = re.compile(r"TrialWorkerActor pid=(\d+)[^\n]*?worker-1\| \[\d")
    try:
        wait_until(lambda: begun.search(out.read_text()) is not None, START_TIMEOUT, process,
                   "worker-1 to begin a trial", console=out)
        time.sleep(2)  # into its epochs
        before_kill = set(cluster.scratch.glob("lstm-sweep-worker-*"))  # the two actors'
        os.kill(int(begun.search(out.read_text()).group(1)), signal.SIGKILL)
        assert process.wait(timeout=600) == 0, out.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    console = out.read_text()
    assert f"2 workers on the Ray cluster at {cluster.address} (2 nodes; 1 CPU each)" in console
    assert "worker-1 died (exit -9); restarted (1 of 3); its trial resumes" in console
    assert "Leaderboard (3 of 3 trials completed, 1 retried;" in console
    assert census(sqlite_uri(placed), "same") == expected  # finished trials: each once
    assert registered_versions(sqlite_uri(placed), "same") == ["1"]
    _, children = runs(sqlite_uri(placed), "same")
    killed = [c for c in children if c.info.status != "FINISHED"]
    assert [c.info.status for c in killed] == ["KILLED"]
    assert killed[0].data.tags["lstm_sweep.tuner_id"] == "worker-1"
    # (which actor took which other trial is Ray's scheduling: one may take all of them)
    assert {c.data.tags["lstm_sweep.tuner_id"] for c in children} <= {"worker-0", "worker-1"}

    # No shared folder: the chief fetched the checkpoints; the actors' folders are gone, the
    # killed actor's too (SIGKILL skips its cleanup: its worker, sent SIGTERM, removes it).
    assert re.search(r"fetched [123] trial checkpoint\(s\) from the tracking server", console)
    assert len(before_kill) == 2, before_kill
    assert list(cluster.scratch.glob("lstm-sweep-worker-*")) == []


# --- without a cluster --------------------------------------------------------------------------
HIDE_RAY = """
import sys
class Hidden:
    def find_spec(self, name, path=None, target=None):
        if name == "ray" or name.startswith("ray."):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Hidden())
from lstm_automl.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ray_not_installed_is_one_line_and_exit_2(isolated_workdir: Path):
    path = write_sweep(isolated_workdir, SWEEP.format(name="noray", trials=2, epochs=1))
    done = subprocess.run([sys.executable, "-c", HIDE_RAY, "run", path.name, "--ray"],
                          cwd=isolated_workdir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"error: --ray: {RAY_MISSING}"
    assert sorted(p.name for p in isolated_workdir.iterdir()) == ["sweep.yaml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--gpus-per-trial", "0.5"], "--gpus-per-trial: applies to Ray workers only: add --ray"),
    (["--ray", "--gpus", "0"], "--gpus: with --ray, Ray picks the GPUs: use --gpus-per-trial"),
    (["--ray", "--workers", "0"], "--workers: with --ray, between 1 and 256, got 0"),
    (["--ray", "--gpus-per-trial", "-1"], "--gpus-per-trial: expected a GPU share between 0 "
                                          "and 8 (0.25: four trials per GPU), got -1"),
])
def test_ray_options_that_cannot_work_are_refused_before_anything_starts(
        isolated_workdir: Path, args: list[str], message: str, capsys):
    from lstm_automl.cli import main

    path = write_sweep(isolated_workdir, SWEEP.format(name="badray", trials=2, epochs=1))
    assert main(["run", path.name, *args]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in isolated_workdir.iterdir()) == ["sweep.yaml"]


@needs_ray
def test_an_address_where_no_cluster_answers_is_refused_at_once(isolated_workdir: Path, capsys):
    from lstm_automl.cli import main
    from ray_cluster import free_port

    path = write_sweep(isolated_workdir, SWEEP.format(name="nocluster", trials=2, epochs=1))
    address = f"127.0.0.1:{free_port()}"
    assert main(["run", path.name, "--ray", address]) == 2
    assert f"error: --ray: cannot join the Ray cluster at {address}: nothing answers there" in \
        capsys.readouterr().err
    assert sorted(p.name for p in isolated_workdir.iterdir()) == ["sweep.yaml"]


def test_workers_packed_on_one_gpu_share_its_memory():
    """--gpus 0,0,0,1: the three on GPU 0 each get a third of its memory (JAX allocates on
    demand up to it, TensorFlow grows); the one alone on GPU 1 keeps the defaults."""
    pool = WorkerPool(4, ["0", "0", "0", "1"], "sweep.yaml", tracker=None, reporter=None)
    packed = pool.device_env(pool.workers[0])
    assert packed == {"CUDA_VISIBLE_DEVICES": "0", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
                      "TF_FORCE_GPU_ALLOW_GROWTH": "true",
                      "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.317"}
    assert pool.device_env(pool.workers[3]) == {"CUDA_VISIBLE_DEVICES": "1"}
    assert WorkerPool(1, None, "sweep.yaml", None, None).device_env(pool.workers[0]) == {
        "CUDA_VISIBLE_DEVICES": "0"}  # another pool: GPU 0 is its worker's alone
