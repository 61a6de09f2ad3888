"""A bounded soak of ``mlflow models serve`` over a model a tiny real sweep registered.

Good and malformed requests interleaved (1 in 5 malformed: wrong shape, wrong dtype, strings,
NaN, empty, too many rows, missing columns, bad JSON): every good request is answered 200 with
the numbers of its first answer, every bad one 4xx with a message that says what is wrong, and
the server is alive at the end (issue 20, item 2: on JAX one malformed tensor used to break the
served model until a restart). Runs on the test process' Keras backend; CI's JAX pass runs it
again (backend_contract). One server per module: its start-up takes most of the time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write_sweep
from lstm_automl.serving.request_checks import MAX_ROWS

pytestmark = [pytest.mark.slow, pytest.mark.backend_contract,
              pytest.mark.xdist_group("serving-soak")]

REQUESTS = 500
START_TIMEOUT = 240  # seconds for the server to import its backend and load the model

SWEEP = """
name: soak
seed: 1
data: {source: "builtin:airline", target: passengers, lookback: 12, horizon: 2,
       transform: log_diff, time_column: month, split: {validation: 24}}
search: {cell: lstm, units: 4, learning_rate: 0.01, batch_size: 16}
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 1, early_stopping_patience: null}
tracking: {register_as: soak}
"""
HISTORY = {"columns": ["month", "passengers"],
           "data": [[f"1958-{m:02d}", 300.0 + 7 * m] for m in range(1, 13)] + [["1959-01", 360.0]]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(port: int, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _alive(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, process, store) of ``mlflow models serve`` over ``models:/soak/1``, registered by a
    real sweep in the sqlite store named."""
    from lstm_automl.cli import main

    folder = tmp_path_factory.mktemp("soak")
    os.chdir(folder)
    store = f"sqlite:///{folder / 'mlflow.db'}"  # named: an earlier test may have set MLflow's
    assert main(["run", str(write_sweep(folder, SWEEP)), "--quiet",  # global tracking URI
                 "--set", f"tracking.tracking_uri={store}"]) == 0
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)  # mlflow starts uvicorn from the PATH
    env = {**os.environ, "MLFLOW_TRACKING_URI": store,
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/soak/1",
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _alive(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((folder / "server.log").read_text()[-3000:])
            time.sleep(1.0)
        yield port, process, store
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


def _json(payload: object) -> bytes:
    return json.dumps(payload).encode()


def _good_requests() -> dict[str, tuple[bytes, str]]:
    csv = "month,passengers\n" + "".join(f"{m},{p}\n" for m, p in HISTORY["data"])
    records = [dict(zip(HISTORY["columns"], row, strict=True)) for row in HISTORY["data"]]
    windows = np.linspace(-1, 1, 24).reshape(2, 12, 1).round(4).tolist()
    return {
        "split": (_json({"dataframe_split": HISTORY}), "application/json"),
        "records": (_json({"dataframe_records": records}), "application/json"),
        "csv": (csv.encode(), "text/csv"),
        "windows": (_json({"inputs": windows}), "application/json"),
    }


def _with(column: int, value: object) -> dict:
    rows = [list(row) for row in HISTORY["data"]]
    rows[5][column] = value
    return {"dataframe_split": {"columns": HISTORY["columns"], "data": rows}}


def _bad_requests() -> dict[str, tuple[bytes, str, str]]:
    """name -> (body, content type, what the message says)."""
    many = {"columns": ["month", "passengers"], "data": [[0, 1]] * (MAX_ROWS + 1)}
    return {
        "wrong shape": (_json({"inputs": [[1, 2, 3, 4, 5, 6, 7]] * 2}), "application/json",
                        "the input has shape (2, 7)"),
        "wrong dtype": (_json({"inputs": [[["a"]] * 12]}), "application/json",
                        "numbers only"),
        "strings": (_json(_with(1, "many")), "application/json", "not a finite number"),
        "NaN": (_json(_with(1, None)), "application/json", "data row 6"),
        "empty": (_json({"dataframe_split": {"columns": ["month", "passengers"], "data": []}}),
                  "application/json", "no rows"),
        "too many rows": (_json({"dataframe_split": many}), "application/json",
                          f"at most {MAX_ROWS}"),
        "missing column": (_json({"dataframe_split": {"columns": ["month", "pax"],
                                                      "data": HISTORY["data"]}}),
                           "application/json", "column 'passengers' is missing"),
        "bad JSON": (b'{"dataframe_split": {"columns": [', "application/json", "JSON"),
    }


def _numbers(body: str) -> np.ndarray:
    predictions = json.loads(body)["predictions"]
    if predictions and isinstance(predictions[0], dict):
        return np.array([[row[k] for k in sorted(row)] for row in predictions])
    return np.asarray(predictions, dtype=np.float64)


def test_good_and_bad_requests_interleaved(server):
    port, process, _ = server
    good, bad = _good_requests(), _bad_requests()
    first: dict[str, np.ndarray] = {}
    good_names, bad_names = list(good), list(bad)
    started = time.monotonic()
    for i in range(REQUESTS):
        if i % 5 == 4:
            name = bad_names[(i // 5) % len(bad_names)]
            body, kind, says = bad[name]
            status, text = _post(port, body, kind)
            assert 400 <= status < 500, (name, status, text[:500])
            message = json.loads(text).get("message", "")
            assert says in message, (name, message[-500:])
            continue
        name = good_names[i % len(good_names)]
        status, text = _post(port, *good[name])
        assert status == 200, (i, name, text[:2000])
        answer = _numbers(text)
        assert np.all(np.isfinite(answer))
        np.testing.assert_array_equal(answer, first.setdefault(name, answer), err_msg=name)
    took = time.monotonic() - started
    assert process.poll() is None and _alive(port), f"the server died after {took:.0f}s"
    print(f"{REQUESTS} requests in {took:.1f}s")


def test_requests_at_once_all_get_the_answer(server):
    """The server runs each request in a thread: several at once, good and bad mixed."""
    port, process, _ = server
    good, bad = _good_requests(), _bad_requests()
    expected = _numbers(_post(port, *good["split"])[1])
    statuses: list[tuple[str, int, str]] = []

    def ask(name: str) -> None:
        for _ in range(5):
            body, kind = good[name] if name in good else bad[name][:2]
            status, text = _post(port, body, kind)
            statuses.append((name, status, text))

    names = ["split", "split", "wrong shape", "split", "strings"]
    threads = [threading.Thread(target=ask, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 25
    for name, status, text in statuses:
        if name == "split":
            assert status == 200, text[:2000]
            np.testing.assert_array_equal(_numbers(text), expected)
        else:
            assert 400 <= status < 500, text[:500]
    assert process.poll() is None and _alive(port)


def test_the_served_answer_is_the_local_prediction(server):
    """REST serving and the same registered model loaded here predict the same numbers."""
    import mlflow

    port, _, store = server
    source = mlflow.MlflowClient(store, registry_uri=store).get_model_version_download_uri(
        "soak", "1")
    local = mlflow.pyfunc.load_model(source).predict(
        pd.DataFrame(HISTORY["data"], columns=HISTORY["columns"]))
    status, text = _post(port, *_good_requests()["split"])
    assert status == 200, text[:2000]
    served = pd.DataFrame(json.loads(text)["predictions"])
    np.testing.assert_allclose(served[local.columns].to_numpy(), local.to_numpy(), rtol=1e-6)
