"""Reading a recorded sweep back: ``leaderboard``, the pictures, ``report``, and the MLflow UI.

One real sweep (TensorFlow, keras-tuner, MLflow sqlite) is run once for the module; what it
recorded is checked first (on JAX too: CI's backend_contract pass), then read back. Edge cases
(failed trials, a champion that loses to the baseline, test predictions, an accuracy objective)
use small stores written directly with MlflowClient, which needs no training.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_ROOT, run_in, write_sweep
from lstm_automl.cli import main

# Most tests here read the one recorded sweep (and its server): one pytest-xdist worker runs them
# all, so the sweep is not recorded twice (pyproject's --dist loadgroup).
pytestmark = pytest.mark.xdist_group("report-recorded-sweep")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SWEEP = """
name: rep
seed: 3
data:
  source: builtin:nile
  lookback: 6
  split: {validation: 0.2, test: 0.2}
search:
  cell: {choice: [peephole, gru]}
  layers: {int: [1, 2]}
  units: {choice: [4, 8], per_layer: true}
  bidirectional: {choice: [false, true]}
  learning_rate: {float: [1.0e-3, 1.0e-2], log: true}
tuner: {algorithm: random, max_trials: 3}
training: {epochs: 2, early_stopping_patience: null}
tracking: {champion_must_beat_baseline: false}  # 2 epochs lose to AR/ETS; the alias is tested
"""
PNG = b"\x89PNG\r\n\x1a\n"


def _env() -> dict[str, str]:
    """The environment for child processes, without a leaked MLFLOW_TRACKING_URI."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", TF_CPP_MIN_LOG_LEVEL="2")
    return env


@dataclass
class Recorded:
    """A finished sweep in its own folder."""

    folder: Path
    uri: str
    sweep_file: Path
    parent_run_id: str
    experiment_id: str
    trials: list[Any]  # mlflow Run objects of the trials
    console: str  # what `lstm-sweep run` printed

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Run the tiny sweep once (about 20 s on 2 cores) and describe what it recorded."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("recorded")
    path = write_sweep(folder, SWEEP)
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert run_in(folder, ["run", str(path)]) == 0
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("rep")
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if r.data.tags.get("lstm_sweep.kind") == "sweep")
    trials = [r for r in runs if r.data.tags.get("lstm_sweep.kind") == "trial"]
    assert len(trials) == 3
    return Recorded(folder, uri, path, parent.info.run_id, experiment.experiment_id, trials,
                    console.getvalue())


# --- what the sweep recorded (on each backend) -------------------------------------------------

@pytest.mark.slow
@pytest.mark.backend_contract
def test_sweep_records_every_trial_and_registers_a_loadable_champion(recorded: Recorded):
    import keras

    backend = keras.backend.backend()  # the default run: tensorflow; CI's second run: jax
    out = recorded.console
    assert f"\n  backend: {backend} (" in out
    assert "[1/3]" in out and "[3/3]" in out and "Leaderboard" in out
    assert "mlflow ui --backend-store-uri sqlite:///mlflow.db" in out
    assert (f"  then open http://127.0.0.1:5000/#/experiments/{recorded.experiment_id}"
            f"?workflowType=machine_learning\n") in out

    client = recorded.client()
    exp = client.get_experiment(recorded.experiment_id)
    runs = client.search_runs([exp.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert exp.artifact_location.startswith((recorded.folder / "mlartifacts").as_uri())
    assert not (recorded.folder / "mlruns").exists()
    assert len(parents) == 1 and len(children) == 3
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["backend"] == backend
    for child in children:
        assert child.data.tags["backend"] == backend and child.data.tags["kernel"] in (
            "cpu", "cudnn", "generic")
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED" and child.data.tags["status"] == "completed"
        assert child.info.run_name.startswith("trial-00")
        assert child.data.tags["cell"] in ("peephole", "gru")
        assert {"cell", "layers", "units_0", "learning_rate", "bidirectional"} <= set(
            child.data.params)
        layers = int(child.data.params["layers"])
        assert ("units_1" in child.data.params) == (layers == 2)
        for metric in ("loss", "val_loss", "val_rmse"):
            steps = [m.step for m in client.get_metric_history(child.info.run_id, metric)]
            assert steps == [0, 1], metric
        assert "best_val_loss" in child.data.metrics

    assert {"test_rmse", "test_mae", "baseline_naive_test_rmse",
            "best_val_loss"} <= set(parent.data.metrics)
    assert parent.data.metrics["trials_completed"] == 3
    assert "best.cell" in parent.data.params
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"sweep.yaml", "search_space.txt", "summary.json", "model"} <= artifacts
    (recorded.folder / "dl").mkdir(exist_ok=True)
    summary = json.loads(Path(client.download_artifacts(
        parent.info.run_id, "summary.json", str(recorded.folder / "dl"))).read_text())
    assert len(summary["trials"]) == 3

    version = client.get_model_version_by_alias("rep", "champion")
    assert str(version.version) == "1"
    assert version.tags["lstm_sweep.backend"] == backend
    assert "test_rmse" in version.description and parent.info.run_id in version.description
    assert float(version.tags["test_rmse"]) == pytest.approx(parent.data.metrics["test_rmse"],
                                                             rel=1e-4)


def _leaderboard_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["leaderboard", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- leaderboard on a real sweep -------------------------------------------------------------

@pytest.mark.slow
def test_leaderboard_table_ranks_every_trial_by_the_objective(recorded: Recorded, capsys):
    assert main(["leaderboard", "--tracking-uri", recorded.uri]) == 0  # latest sweep
    out = capsys.readouterr().out
    best_first = sorted(recorded.trials, key=lambda r: r.data.metrics["best_val_loss"])
    positions = [out.index(r.info.run_name) for r in best_first]
    assert positions == sorted(positions), out
    header = next(line for line in out.splitlines() if line.startswith("rank"))
    for column in ("trial", "cell", "depth", "units", "bidirectional", "learning_rate",
                   "val_loss", "epochs", "time", "status"):
        assert column in header
    for rank, run in enumerate(best_first, start=1):
        line = next(x for x in out.splitlines() if run.info.run_name in x and "Champion" not in x)
        assert line.split()[0] == str(rank)
        assert f"{run.data.metrics['best_val_loss']:.4g}" in line and "completed" in line
    parent = recorded.client().get_run(recorded.parent_run_id)
    assert f"Champion: {parent.data.tags['best_trial']}" in out
    assert f"rmse {parent.data.metrics['test_rmse']:.4g}" in out
    assert "baseline naive (last value): rmse" in out
    strongest = parent.data.tags["lstm_sweep.strongest_baseline"]
    assert "<- strongest" in out and f"strongest baseline, {strongest}" in out
    if parent.data.tags["beats_baselines"] == "true":
        assert "Verdict: Beats the strongest baseline" in out and "WARNING" not in out
    else:
        assert "WARNING: LOSES to the strongest baseline" in out
    assert "Registered: 'rep' version 1 (holds the 'champion' alias)" in out


@pytest.mark.slow
def test_leaderboard_json_csv_markdown_agree(recorded: Recorded, capsys):
    data = _leaderboard_json(capsys, "--tracking-uri", recorded.uri)
    parent = recorded.client().get_run(recorded.parent_run_id)
    assert data["run_id"] == recorded.parent_run_id and data["objective"] == "val_loss"
    assert data["direction"] == "min" and "learning_rate" in data["searched"]
    scores = [t["val_loss"] for t in data["trials"]]
    assert scores == sorted(scores) and [t["rank"] for t in data["trials"]] == [1, 2, 3]
    assert {t["run_id"] for t in data["trials"]} == {r.info.run_id for r in recorded.trials}
    champion = data["champion"]
    assert champion["trial"] == parent.data.tags["best_trial"]
    assert champion["test_metrics"]["rmse"] == pytest.approx(parent.data.metrics["test_rmse"])
    assert champion["lift_over_best_baseline"] == pytest.approx(
        parent.data.metrics["test_rmse_lift_over_best_baseline"])
    assert champion["registered"] == {"name": "rep", "version": "1", "champion": True}

    assert main(["leaderboard", "--tracking-uri", recorded.uri, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["trial"] for r in rows] == [t["trial"] for t in data["trials"]]
    assert float(rows[0]["val_loss"]) == pytest.approx(scores[0])

    assert main(["leaderboard", "--tracking-uri", recorded.uri, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| rank | trial | cell | depth | units | bidirectional |" in markdown
    assert markdown.count("| completed |") == 3 and "- Champion:" in markdown


@pytest.mark.slow
def test_leaderboard_finds_a_sweep_by_file_name_or_run_id(recorded: Recorded, capsys):
    trial_id = recorded.trials[0].info.run_id
    for ref in (str(recorded.sweep_file), "rep", recorded.parent_run_id, trial_id):
        data = _leaderboard_json(capsys, ref, "--tracking-uri", recorded.uri)
        assert data["run_id"] == recorded.parent_run_id, ref


@pytest.mark.slow
def test_leaderboard_errors_are_clear_and_exit_2(recorded: Recorded, isolated_workdir, capsys):
    assert main(["leaderboard", "nope", "--tracking-uri", recorded.uri]) == 2
    err = capsys.readouterr().err
    assert "unknown sweep 'nope'" in err and "sweeps in this store: rep" in err
    assert "Traceback" not in err

    assert main(["leaderboard"]) == 2  # no ./mlflow.db here: say so, and do not create one
    assert "no tracking store at mlflow.db" in capsys.readouterr().err
    assert not (isolated_workdir / "mlflow.db").exists()

    from mlflow import MlflowClient

    empty = f"sqlite:///{isolated_workdir / 'empty.db'}"
    MlflowClient(tracking_uri=empty).search_experiments()
    assert main(["leaderboard", "--tracking-uri", empty]) == 2
    assert "no sweep runs in this tracking store" in capsys.readouterr().err

    other = write_sweep(isolated_workdir, SWEEP.replace("name: rep", "name: never-run"))
    assert main(["leaderboard", str(other), "--tracking-uri", recorded.uri]) == 2
    assert "sweep 'never-run' has no run" in capsys.readouterr().err


PROBE = """
import sys
from lstm_automl.cli import main
for command in sys.argv[1:]:  # one process for both: each command's imports are seen after it
    rc = main(command.split("|"))
    heavy = [m for m in ("tensorflow", "keras", "keras_tuner") if m in sys.modules]
    print(command.split("|")[0], "HEAVY_MODULES=" + repr(heavy),
          "MATPLOTLIB=" + repr("matplotlib" in sys.modules), "RC=" + repr(rc))
"""


@pytest.mark.slow
def test_reading_commands_do_not_import_tensorflow(recorded: Recorded, isolated_workdir: Path):
    """leaderboard, then report, in one child (it was one child per command): leaderboard
    imports neither the heavy libraries nor matplotlib, report only matplotlib."""
    board = f"leaderboard|--tracking-uri|{recorded.uri}"
    report = f"report|--tracking-uri|{recorded.uri}|--out|{isolated_workdir / 'r.html'}"
    done = subprocess.run([sys.executable, "-c", PROBE, board, report], cwd=isolated_workdir,
                          env=_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "leaderboard HEAVY_MODULES=[] MATPLOTLIB=False RC=0" in done.stdout, done.stdout[-2000:]
    assert "report HEAVY_MODULES=[] MATPLOTLIB=True RC=0" in done.stdout, done.stdout[-2000:]
    assert (isolated_workdir / "r.html").exists()
    assert "Traceback" not in done.stderr


# --- a real MLflow tracking server ------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def mlflow_server(db_uri: str, folder: Path, timeout: float = 120.0) -> Iterator[str]:
    """``mlflow server`` on a free port for the block; killed (whole process group) after."""
    port = _free_port()
    log = open(folder / f"mlflow-server-{port}.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", db_uri,
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=folder, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"mlflow server exited with {process.returncode}: {log.read()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"mlflow server not up after {timeout:.0f}s: {log.read()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def server(recorded: Recorded) -> Iterator[str]:
    """One tracking server over the recorded sweep's store, for the module."""
    with mlflow_server(recorded.uri, recorded.folder) as url:
        yield url


@pytest.mark.slow
def test_leaderboard_reads_a_remote_tracking_server(recorded: Recorded, server: str, capsys,
                                                    isolated_workdir: Path):
    local = _leaderboard_json(capsys, "--tracking-uri", recorded.uri)
    done = subprocess.run(
        [sys.executable, "-m", "lstm_automl", "leaderboard", "rep", "--tracking-uri", server,
         "--format", "json"], cwd=isolated_workdir, env=_env(), capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    remote = json.loads(done.stdout)
    assert remote["trials"] == local["trials"]
    assert remote["champion"] == local["champion"]
    assert not (isolated_workdir / "mlflow.db").exists()


# --- pictures and the HTML report -------------------------------------------------------------

@pytest.mark.slow
def test_sweep_figures_are_labelled_and_logged(recorded: Recorded):
    from lstm_automl.report import log_sweep_figures, sweep_figures

    client = recorded.client()
    figures = sweep_figures(client, recorded.parent_run_id)
    has_predictions = "test_predictions.csv" in {
        a.path for a in client.list_artifacts(recorded.parent_run_id)}
    expected = {"validation_curves", "objective_by_cell", "objective_vs_hyperparameters",
                "parallel_coordinates"}  # 3 trials: too few for hyperparameter_importance
    assert set(figures) == expected | ({"forecast_vs_actual"} if has_predictions else set())
    for name, fig in figures.items():
        shown = [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]
        assert all(ax.get_xlabel() for ax in shown), name
        assert shown[0].get_ylabel(), name  # small multiples share y: labelled on the left
        assert any(ax.get_title() for ax in fig.axes) or fig.get_suptitle(), name
        assert fig.legends or any(ax.get_legend() for ax in fig.axes), name
    curves = figures["validation_curves"].axes[0]
    names = {t.get_text() for t in curves.get_legend().get_texts()}
    assert {r.info.run_name for r in recorded.trials} <= {n.removesuffix(" (champion)")
                                                          for n in names}
    assert len(curves.get_lines()) == 3
    panels = [ax.get_xlabel() for ax in figures["objective_vs_hyperparameters"].axes
              if ax.get_visible()]
    learning = next(ax for ax in figures["objective_vs_hyperparameters"].axes
                    if ax.get_xlabel().startswith("learning_rate"))
    assert learning.get_xscale() == "log", panels

    logged = log_sweep_figures(client, recorded.parent_run_id)
    assert sorted(logged) == sorted(f"plots/{n}.png" for n in figures)
    stored = {a.path for a in client.list_artifacts(recorded.parent_run_id, "plots")}
    assert stored == set(logged)
    local = Path(client.download_artifacts(recorded.parent_run_id, logged[0],
                                           str(recorded.folder / "dl")))
    assert local.read_bytes().startswith(PNG)
    ARTIFACTS.mkdir(exist_ok=True)
    for path in logged:  # for a person (or CI) to look at
        shutil.copy(client.download_artifacts(recorded.parent_run_id, path,
                                              str(recorded.folder / "dl")),
                    ARTIFACTS / f"sweep-{Path(path).name}")


@pytest.mark.slow
def test_report_is_one_self_contained_html_file(recorded: Recorded, isolated_workdir, capsys):
    out = isolated_workdir / "report.html"
    assert main(["report", "--tracking-uri", recorded.uri, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    ui = f"http://127.0.0.1:5000/#/experiments/{recorded.experiment_id}" \
        "?workflowType=machine_learning"  # the one link out: a navigation link, loads nothing
    assert f'<a class="mlflow-ui" href="{ui}">' in page
    assert f"mlflow ui --backend-store-uri {recorded.uri}" in page
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page.replace(ui, "#"), re.I)
    assert links and all(link.startswith(("data:", "#")) for link in links), \
        "the report must not load anything from outside itself"
    assert "url(" not in page and "@import" not in page and "<script" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 3
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    for run in recorded.trials:
        assert run.info.run_name in page
    for text in ("Sweep 'rep'", "Leaderboard", "builtin:nile", "baseline: naive",
                 "Search space", "&#x27;rep&#x27; version 1"):
        assert text in page, text

    assert main(["report", "--tracking-uri", recorded.uri, "--out",
                 str(isolated_workdir / "missing" / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", "--tracking-uri", recorded.uri, "--out", str(out)]) == 0  # ours


def test_report_never_overwrites_a_file_it_did_not_write(isolated_workdir, capsys):
    notes = isolated_workdir / "notes.html"
    notes.write_text("<!DOCTYPE html><title>my notes</title>")
    (isolated_workdir / "link.html").symlink_to(isolated_workdir / "elsewhere.html")
    for out in ("notes.html", "link.html"):
        assert main(["report", "--tracking-uri", "sqlite:///mlflow.db", "--out", out]) == 2
        err = capsys.readouterr().err
        assert f"--out {out}: exists and is not a report lstm-sweep wrote" in err
    assert notes.read_text() == "<!DOCTYPE html><title>my notes</title>"
    assert not (isolated_workdir / "mlflow.db").exists()
    assert not (isolated_workdir / "elsewhere.html").exists()


def _chromium() -> tuple[str, str | None]:
    """Chromium and its driver, or skip saying what is missing and how to get it."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(n)), None)
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium chromium-driver; "
                    ".ci/run does this); cannot check the page in a real browser")
    return browser, shutil.which("chromedriver")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


@pytest.mark.slow
def test_report_renders_offline_in_headless_chromium(recorded: Recorded, isolated_workdir):
    from PIL import Image

    browser, _ = _chromium()
    out = isolated_workdir / "report.html"
    assert main(["report", "--tracking-uri", recorded.uri, "--out", str(out)]) == 0
    shot = isolated_workdir / "report.png"
    try:
        done = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={isolated_workdir / 'profile'}",
             f"--screenshot={shot}", "--window-size=1200,2400", "--virtual-time-budget=5000",
             out.as_uri()], env=_env(), capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("headless Chromium did not finish a screenshot within 120 s")
    if not shot.exists():
        pytest.skip(f"headless Chromium could not start here (exit {done.returncode}): "
                    f"{done.stderr.strip().splitlines()[-1:]}")
    image = Image.open(shot).convert("L")
    assert image.size == (1200, 2400)
    darkest, lightest = image.getextrema()
    assert darkest < 100 and lightest > 200  # dark text on a light page, not a blank one
    assert len(set(image.resize((60, 120)).getdata())) > 20  # pictures, tables: varied content
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report-screenshot.png")


# --- the MLflow UI in a real browser ----------------------------------------------------------

RUN_NAME_CELL = "[col-id='attributes.`Run Name`']"


@pytest.fixture()
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Selenium, or a skip that says what is missing."""
    path, driver_path = _chromium()
    if driver_path is None:
        pytest.skip("chromedriver is not installed (apt-get install -y chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    options = Options()
    options.binary_location = path
    for flag in (*CHROMIUM_FLAGS, "--window-size=1600,1200"):
        options.add_argument("--headless=new" if flag == "--headless" else flag)
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except Exception as exc:  # no display libraries, sandbox refused, driver mismatch, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"headless Chromium could not be started by chromedriver: {first}")
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(what: str, probe: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.mark.slow
def test_mlflow_ui_shows_trials_nested_under_the_sweep(recorded: Recorded, server: str,
                                                       browser: Any):
    from selenium.webdriver.common.by import By

    names = {r.info.run_name: r.info.run_id for r in recorded.trials}
    browser.get(f"{server}/#/experiments/{recorded.experiment_id}/runs")
    parent_row = f"[role=row][row-id='{recorded.parent_run_id}']"
    parent_cell = _wait_for("the sweep run in the runs table", lambda: browser.find_elements(
        By.CSS_SELECTOR, f"{parent_row} {RUN_NAME_CELL}"))[0]
    assert "sweep rep" in parent_cell.text

    def trial_cells() -> list[Any]:
        cells = browser.find_elements(By.CSS_SELECTOR, f"[role=row] {RUN_NAME_CELL}")
        return [c for c in cells if any(n in c.text for n in names)]

    if not trial_cells():  # nested runs start collapsed under their parent: expand it
        parent_cell.find_element(By.CSS_SELECTOR, "button").click()
    cells = _wait_for("the trial runs under the sweep run",
                      lambda: (found := trial_cells()) and len(found) >= len(names) and found)
    parent_cell = browser.find_element(By.CSS_SELECTOR, f"{parent_row} {RUN_NAME_CELL}")
    parent_x = parent_cell.find_element(By.CSS_SELECTOR, "a").location["x"]
    parent_index = int(browser.find_element(By.CSS_SELECTOR, parent_row)
                       .get_attribute("row-index"))
    for cell in cells:
        row = cell.find_element(By.XPATH, "./ancestor::*[@role='row'][1]")
        name = next(n for n in names if n in cell.text)
        assert row.get_attribute("row-id") == names[name]
        assert int(row.get_attribute("row-index")) > parent_index
        assert cell.find_element(By.CSS_SELECTOR, "a").location["x"] > parent_x, \
            f"{name} is not indented under the sweep run"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "mlflow-ui-nested-runs.png"))

    ids = json.dumps(list(names.values()))
    browser.get(f"{server}/#/compare-runs?runs={ids}&experiments="
                f"{json.dumps([recorded.experiment_id])}")
    body = _wait_for("the comparison view with every trial", lambda: (
        text := browser.find_element(By.TAG_NAME, "body").text) and all(
        n in text for n in names) and text)
    assert f"Comparing {len(names)} Runs" in body
    time.sleep(1)  # let the parallel-coordinates chart finish drawing
    browser.save_screenshot(str(ARTIFACTS / "mlflow-ui-compare.png"))
    assert (ARTIFACTS / "mlflow-ui-compare.png").read_bytes().startswith(PNG)


@pytest.mark.slow
def test_the_report_links_the_runs_view_that_the_bare_experiment_url_hides(
        recorded: Recorded, server: str, browser: Any, isolated_workdir: Path):
    """MLflow 3 opens an experiment in its GenAI overview, where the sweep's runs are not listed;
    the link the report (and the console, and SweepResult.ui_url) gives opens the runs."""
    from selenium.webdriver.common.by import By

    out = isolated_workdir / "report.html"
    assert main(["report", "--tracking-uri", server, "--out", str(out)]) == 0
    link = re.search(r'<a class="mlflow-ui" href="([^"]+)"', out.read_text()).group(1)
    assert link == (f"{server}/#/experiments/{recorded.experiment_id}"
                    f"?workflowType=machine_learning")
    parent_row = f"[role=row][row-id='{recorded.parent_run_id}']"

    browser.get(f"{server}/#/experiments/{recorded.experiment_id}")
    _wait_for("the bare experiment URL to settle", lambda: "/overview" in browser.current_url
              or browser.find_elements(By.CSS_SELECTOR, parent_row))
    time.sleep(2)
    assert not browser.find_elements(By.CSS_SELECTOR, parent_row), (
        "this MLflow lists the runs at the bare experiment URL: the workflowType link is moot")
    assert "workflowType=genai" in browser.current_url

    browser.get(link)
    cell = _wait_for("the sweep run in the runs table", lambda: browser.find_elements(
        By.CSS_SELECTOR, f"{parent_row} {RUN_NAME_CELL}"))[0]
    assert "sweep rep" in cell.text
    assert "/runs" in browser.current_url
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "mlflow-ui-link.png"))


# --- edge cases on stores written directly (no training) --------------------------------------

def fake_sweep(folder: Path, trials: list[dict[str, Any]], objective: str = "val_loss",
               lift: float | None = -0.25, predictions: str | None = None,
               parent_params: dict[str, Any] | None = None,
               summary: dict[str, Any] | None = None) -> tuple[Any, str]:
    """A store shaped like a sweep's: parent run, trial runs with params, curves, scores.

    A trial spec may say ``number`` and ``attempt`` (a retried trial: several runs with one
    ``trial_id``) and ``killed`` (an interrupted attempt, closed as KILLED)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{folder / 'fake.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("fake", artifact_location=(folder / "art").as_uri())
    parent = client.create_run(experiment, run_name="sweep fake", tags={
        "lstm_sweep.kind": "sweep", "sweep": "fake", "task": "forecast"})
    pid = parent.info.run_id
    for key, value in {"objective": objective, "algorithm": "random", "data.target": "flow",
                       "data.scaling": "standard", "data.transform": "none",
                       **(parent_params or {})}.items():
        client.log_param(pid, key, value)
    best = None
    for index, spec in enumerate(trials, start=1):
        number = spec.get("number", index)
        name = f"trial-{number:03d} {spec['cell']} x1" + (" bi" if spec.get("bi") else "")
        failed = spec.get("score") is None
        killed = bool(spec.get("killed"))
        why = ("the process running this trial stopped before it ended; the trial is retried"
               if killed else "loss became NaN or infinite at epoch 1")
        run = client.create_run(experiment, run_name=name, start_time=1_000 * index, tags={
            "lstm_sweep.kind": "trial", "mlflow.parentRunId": pid, "cell": spec["cell"],
            "layers": "1", "bidirectional": str(bool(spec.get("bi"))).lower(),
            "trial_number": str(number), "trial_id": str(number - 1),
            "lstm_sweep.attempt": str(spec.get("attempt", 1)),
            "status": "interrupted" if killed else "failed" if failed else "completed",
            **({"failure": why} if failed else {})})
        rid = run.info.run_id
        for key, value in {"cell": spec["cell"], "layers": 1, "units_0": spec.get("units", 8),
                           "learning_rate": spec.get("lr", 0.01),
                           "bidirectional": bool(spec.get("bi"))}.items():
            client.log_param(rid, key, str(value))
        for step, value in enumerate(spec.get("curve", [])):
            client.log_metric(rid, objective, value, step=step)
        if not failed:
            client.log_metric(rid, f"best_{objective}", spec["score"])
        client.log_metric(rid, "epochs_trained", len(spec.get("curve", [])))
        client.log_metric(rid, "trial_seconds", 1.0)
        client.set_terminated(rid, "KILLED" if killed else "FAILED" if failed else "FINISHED")
        if not failed and (best is None or spec["score"] < best[1]):
            best = (name, spec["score"])
    metrics = {"test_rmse": 12.0, "test_mae": 9.0, "baseline_naive_test_rmse": 10.0,
               "baseline_naive_test_mae": 8.0}
    if lift is not None:
        metrics["test_rmse_lift_over_best_baseline"] = lift
    for key, value in metrics.items():
        client.log_metric(pid, key, value)
    if best is not None and objective.endswith("loss"):
        client.set_tag(pid, "best_trial", best[0])
    if predictions is not None:
        (folder / "test_predictions.csv").write_text(predictions)
        client.log_artifact(pid, str(folder / "test_predictions.csv"))
    if summary is not None:
        client.log_text(pid, json.dumps(summary), "summary.json")
    client.set_terminated(pid, "FINISHED")
    return client, pid


TRIALS = [
    {"cell": "gru", "score": 0.4, "curve": [0.9, 0.4], "lr": 0.001},
    {"cell": "lstm", "bi": True, "score": 0.3, "curve": [0.8, 0.3], "lr": 0.01, "units": 16},
    {"cell": "lstm", "curve": [5.0]},                       # failed
    {"cell": "peephole", "score": 0.5, "curve": [0.7, 0.5], "lr": 0.003},
]


def test_leaderboard_puts_failed_trials_last_and_flags_a_losing_champion(isolated_workdir,
                                                                         capsys):
    client, pid = fake_sweep(isolated_workdir, TRIALS)
    uri = f"sqlite:///{isolated_workdir / 'fake.db'}"
    assert main(["leaderboard", "fake", "--tracking-uri", uri]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.strip()[:1] in ("1", "2", "3", "-")]
    assert [r.split()[1] for r in rows] == ["trial-002", "trial-001", "trial-004", "trial-003"]
    assert rows[-1].split()[0] == "-" and "failed: loss became NaN" in rows[-1]
    assert "units" in lines[2] and "learning_rate" in lines[2]
    warning = next(line for line in lines if line.startswith("WARNING"))
    assert "LOSES to the strongest baseline, naive (rmse 10)" in warning
    assert "20.0% higher" in warning
    data = _leaderboard_json(capsys, pid, "--tracking-uri", uri)
    assert data["champion"]["beats_baselines"] is False
    assert data["trials"][0]["units"] == 16 and data["trials"][0]["bidirectional"] is True


def test_accuracy_objective_ranks_highest_first(isolated_workdir, capsys):
    trials = [{"cell": "gru", "score": 0.7, "curve": [0.6, 0.7]},
              {"cell": "lstm", "score": 0.9, "curve": [0.8, 0.9]}]
    fake_sweep(isolated_workdir, trials, objective="val_accuracy", lift=None)
    uri = f"sqlite:///{isolated_workdir / 'fake.db'}"
    data = _leaderboard_json(capsys, "--tracking-uri", uri)
    assert data["direction"] == "max"
    assert [t["val_accuracy"] for t in data["trials"]] == [0.9, 0.7]


def test_forecast_picture_comes_from_test_predictions(isolated_workdir):
    from lstm_automl.report import sweep_figures

    lines = ["row,time,actual_h1,actual_h2,predicted_h1,predicted_h2"]
    lines += [f"{60 + i},{1950 + i},{100 + i},{101 + i},{99 + i},{103 + i}" for i in range(10)]
    client, pid = fake_sweep(isolated_workdir, TRIALS, predictions="\n".join(lines) + "\n")
    figures = sweep_figures(client, pid)
    forecast = figures["forecast_vs_actual"].axes[0]
    labels = [line.get_label() for line in forecast.get_lines()]
    assert labels == ["actual", "champion forecast, 1 step ahead",
                      "champion forecast, 2 steps ahead"]
    assert forecast.get_ylabel() == "flow (original units)"
    assert list(forecast.get_lines()[0].get_xdata()) == list(range(1950, 1960))
    assert len(figures["validation_curves"].axes[0].get_lines()) == 4  # the failed one too
    by_cell = figures["objective_by_cell"].axes[0]
    assert [t.get_text().split("\n")[0] for t in by_cell.get_xticklabels()] == [
        "lstm", "gru", "peephole"]


def test_pictures_skip_what_was_not_recorded(isolated_workdir):
    from lstm_automl.report import sweep_figures

    regress = "case,actual,predicted\n0,1.5,1.25\n1,2.0,2.5\n"
    client, pid = fake_sweep(isolated_workdir, TRIALS[:1], predictions=regress)
    figures = sweep_figures(client, pid)
    assert "forecast_vs_actual" not in figures  # not a forecast: no picture, no error
    assert "confusion_matrix" not in figures  # not classes either
    assert "objective_vs_hyperparameters" not in figures  # one trial: nothing varies
    assert set(figures) == {"validation_curves", "objective_by_cell"}


# --- confusion matrix, retried trials, the current champion (stores written directly) ---------

CLASSIFY = ["case,label,predicted,p_01,p_summer,p_winter"]
CLASSIFY += [f"{i},{t},{g},0.1,0.2,0.7" for i, (t, g) in enumerate(
    [("01", "01")] * 3 + [("summer", "summer")] * 5 + [("summer", "winter")] * 2
    + [("winter", "winter")] * 4 + [("winter", "01")])]


def _texts_of(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_confusion_matrix_comes_from_classification_predictions(isolated_workdir):
    from lstm_automl.report import log_sweep_figures, sweep_figures

    client, pid = fake_sweep(isolated_workdir, TRIALS, objective="val_loss", lift=None,
                             predictions="\n".join(CLASSIFY) + "\n",
                             parent_params={"data.source": "builtin:ItalyPowerDemand"})
    for key, value in {"test_accuracy": 0.8, "test_macro_f1": 0.79,
                       "baseline_majority_test_accuracy": 0.33,
                       "baseline_1nn_euclidean_test_accuracy": 0.75,
                       "test_accuracy_lift_over_best_baseline": 0.05}.items():
        client.log_metric(pid, key, value)
    figures = sweep_figures(client, pid)
    assert "forecast_vs_actual" not in figures
    fig = figures["confusion_matrix"]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    order = ["01", "summer", "winter"]  # the model's class order (p_ columns), "01" as text
    assert [t.get_text() for t in ax.get_xticklabels()] == order
    assert [t.get_text() for t in ax.get_yticklabels()] == order
    cells = [t.split("\n")[0] for t in _texts_of(ax)]
    assert cells == ["3", "0", "0", "0", "5", "2", "1", "0", "4"]  # rows: true classes
    assert "71%" in _texts_of(ax)[4]  # 5 of 7 summers, the row's share
    assert "champion trial-002 lstm x1 bi" in fig.get_suptitle()
    assert "builtin:ItalyPowerDemand" in fig.get_suptitle()
    assert "test accuracy 0.800 (12 of 15 right; 15 test sequences)" in ax.get_title()
    assert "strongest baseline (1nn_euclidean): accuracy 0.750" in ax.get_title()  # the strongest
    assert fig.axes[1].get_ylabel() == "share of the true class (row)"  # the colour bar

    assert "plots/confusion_matrix.png" in log_sweep_figures(client, pid)
    stored = client.download_artifacts(pid, "plots/confusion_matrix.png", str(isolated_workdir))
    assert Path(stored).read_bytes().startswith(PNG)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(stored, ARTIFACTS / "fake-confusion_matrix.png")

    out = isolated_workdir / "report.html"
    assert main(["report", "--tracking-uri", f"sqlite:///{isolated_workdir / 'fake.db'}",
                 "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'alt="confusion matrix" src="data:image/png;base64,' in page
    assert "one row per true class" in page
    assert "Beats the strongest baseline, 1nn_euclidean (accuracy 0.75)" in page
    assert "5.0 points higher" in page


def test_confusion_matrix_pools_the_positions_of_a_copy_task(isolated_workdir):
    from lstm_automl.report.figures import confusion_counts, load_predictions
    from lstm_automl.tracking.read_back import load_sweep_runs

    table = "case,label_0,label_1,predicted_0,predicted_1\n0,1,10,1,10\n1,2,10,1,2\n"
    client, pid = fake_sweep(isolated_workdir, TRIALS[:1], predictions=table)
    frame = load_predictions(client, load_sweep_runs(client, client.get_run(pid)))
    classes, counts, what = confusion_counts(frame)
    assert classes == ["1", "2", "10"] and what == "2 test sequences x 2 positions"
    assert counts.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 1]]


RETRIED = [
    {"cell": "gru", "score": 0.4, "curve": [0.9, 0.4]},
    {"cell": "lstm", "bi": True, "curve": [0.9], "killed": True, "number": 2},  # interrupted
    {"cell": "lstm", "bi": True, "score": 0.3, "curve": [0.8, 0.3], "lr": 0.02, "units": 16,
     "number": 2, "attempt": 2},                                              # its retry
    {"cell": "peephole", "score": 0.5, "curve": [0.7, 0.5], "lr": 0.003, "number": 3},
]


def test_leaderboard_shows_each_trial_once_unless_all_attempts(isolated_workdir, capsys):
    client, pid = fake_sweep(isolated_workdir, RETRIED)
    uri = f"sqlite:///{isolated_workdir / 'fake.db'}"
    retry = next(r for r in client.search_runs([client.get_run(pid).info.experiment_id])
                 if r.data.tags.get("lstm_sweep.attempt") == "2")

    data = _leaderboard_json(capsys, "--tracking-uri", uri)
    assert [t["trial"] for t in data["trials"]] == [
        "trial-002 lstm x1 bi", "trial-001 gru x1", "trial-003 peephole x1"]
    assert data["trials"][0]["run_id"] == retry.info.run_id
    assert data["trials"][0]["attempt"] == 2 and data["trials"][0]["rank"] == 1
    assert all(t["status"] == "completed" for t in data["trials"])

    assert main(["leaderboard", "--tracking-uri", uri]) == 0
    table = capsys.readouterr().out
    assert "3 of 3 trials completed, 1 retried" in table and "interrupted" not in table
    assert "1 earlier attempt of 1 retried trial hidden (--all-attempts)" in table
    rows = [line.split()[:2] for line in table.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [["1", "trial-002"], ["2", "trial-001"], ["3", "trial-003"]]

    every = _leaderboard_json(capsys, "--tracking-uri", uri, "--all-attempts")
    assert [(t["trial"][:9], t["attempt"], t["rank"], t["status"]) for t in every["trials"]] == [
        ("trial-002", 2, 1, "completed"), ("trial-002", 1, None, "interrupted"),
        ("trial-001", 1, 2, "completed"), ("trial-003", 1, 3, "completed")]
    assert every["trials"][1]["final_attempt"] is False
    assert main(["leaderboard", "--tracking-uri", uri, "--all-attempts"]) == 0
    table = capsys.readouterr().out
    header = next(line for line in table.splitlines() if line.startswith("rank"))
    assert header.split()[:3] == ["rank", "trial", "attempt"]
    assert "interrupted: the process running this trial stopped" in table

    out = isolated_workdir / "report.html"
    assert main(["report", "--tracking-uri", uri, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    board = _section_text(page, "Leaderboard")
    assert board.count(">trial-002 lstm x1 bi</td>") == 1 and ">interrupted<" not in board
    assert "3 completed, 0 failed, 3 in all (1 retried)" in page
    assert main(["report", "--tracking-uri", uri, "--out", str(out), "--all-attempts"]) == 0
    board = _section_text(out.read_text(encoding="utf-8"), "Leaderboard")
    assert board.count(">trial-002 lstm x1 bi</td>") == 2 and ">interrupted<" in board


def _section_text(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    return page[start:page.index("</section>", start)]


def test_report_shows_the_current_champions_values_not_stale_best_params(isolated_workdir):
    """An extended sweep keeps the first winner's ``best.*`` params (MLflow params never
    change); the report must show the champion's values from summary.json or its run."""
    stale = {"best.cell": "gru", "best.learning_rate": 0.001, "best.units_0": 8}
    summary = {"best_trial": "trial-002 lstm x1 bi",
               "best_values": {"cell": "lstm", "learning_rate": 0.02, "units_0": 16,
                               "bidirectional": True}}
    heading = "Champion&#x27;s hyperparameters"
    for with_summary in (True, False):  # summary.json first, else the champion's own run
        folder = isolated_workdir / f"summary-{with_summary}"
        folder.mkdir()
        fake_sweep(folder, RETRIED, parent_params=stale,
                   summary=summary if with_summary else None)
        out = folder / "report.html"
        assert main(["report", "--tracking-uri", f"sqlite:///{folder / 'fake.db'}", "--out",
                     str(out)]) == 0
        section = _section_text(out.read_text(encoding="utf-8"), heading)
        assert "trial-002 lstm x1 bi" in section, with_summary
        assert "<span>cell</span>lstm" in section and "gru" not in section, with_summary
        assert "<span>learning_rate</span>0.02" in section, with_summary
        assert "<span>units_0</span>16" in section, with_summary
