"""The report and leaderboard on real sweeps: a classification champion's confusion matrix, and
a sweep that is interrupted, resumed (one trial retried) and extended until a new trial wins.

Real TensorFlow, keras-tuner and sqlite MLflow in tmp_path; tiny models, few epochs.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_ROOT, InterruptSecondTrial, write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PNG = b"\x89PNG\r\n\x1a\n"

CLASSIFY = """
name: cm
seed: 3
data: {source: builtin:ItalyPowerDemand, task: classify, split: {validation: 0.2}}
search:
  cell: {choice: [gru, lstm]}
  units: 4
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 1, early_stopping_patience: null}
tracking: {register_best: false}
"""


def _client(folder: Path) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")


def _parent(folder: Path, experiment: str) -> Any:
    client = _client(folder)
    exp = client.get_experiment_by_name(experiment)
    return next(r for r in client.search_runs([exp.experiment_id])
                if r.data.tags.get("lstm_sweep.kind") == "sweep")


def test_classification_sweep_logs_and_reports_a_confusion_matrix(isolated_workdir, capsys):
    from lstm_automl.report import sweep_figures

    path = write_sweep(isolated_workdir, CLASSIFY)
    assert main(["run", "-q", str(path)]) == 0
    client, parent = _client(isolated_workdir), _parent(isolated_workdir, "cm")
    plots = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert "plots/confusion_matrix.png" in plots and "plots/forecast_vs_actual.png" not in plots
    png = Path(client.download_artifacts(parent.info.run_id, "plots/confusion_matrix.png",
                                         str(isolated_workdir)))
    assert png.read_bytes().startswith(PNG)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png, ARTIFACTS / "sweep-confusion_matrix.png")  # for a person to look at

    figure = sweep_figures(client, parent.info.run_id)["confusion_matrix"]
    ax = figure.axes[0]
    counts = [int(t.get_text().split("\n")[0]) for t in ax.texts]
    assert sum(counts) == 1029  # every sequence of ItalyPowerDemand's published test split
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2"]
    accuracy = parent.data.metrics["test_accuracy"]
    assert f"test accuracy {accuracy:.3f}" in ax.get_title()
    assert parent.data.tags["best_trial"] in figure.get_suptitle()

    out = isolated_workdir / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'alt="confusion matrix" src="data:image/png;base64,' in page
    assert "Beats the strongest baseline" in page or "LOSES to the strongest baseline" in page


# Seed 4 samples learning rates 1e-7, 1e-7, then 0.05: the trial the extension adds wins.
# (Random search: raising max_trials of a finished grid search adds no trial today.)
EXTENDED = """
name: ext
seed: 3  # trials 1-2 draw learning rate 1e-7, trial 3 draws 0.05
data: {{source: builtin:nile, lookback: 6, split: {{validation: 0.2, test: 0.2}}}}
search:
  cell: gru
  units: {{choice: [4, 5]}}
  learning_rate: {{choice: [1.0e-7, 0.05]}}
tuner: {{algorithm: random, max_trials: {trials}}}
training: {{epochs: 5, early_stopping_patience: null}}  # 0.05 wins: 0.29 vs 0.44
tracking: {{register_best: false}}
"""


def _section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    return page[start:page.index("</section>", start)]


def test_interrupted_resumed_and_extended_sweep_reads_back_once_per_trial(isolated_workdir,
                                                                          capsys, monkeypatch):
    path = write_sweep(isolated_workdir, EXTENDED.format(trials=2))
    interrupt = InterruptSecondTrial()
    interrupt.install(monkeypatch)
    assert main(["run", "-q", str(path)]) == 130  # Ctrl-C during trial 2
    assert interrupt.fired
    assert main(["run", "-q", str(path)]) == 0  # resumes: trial 2 is retried (attempt 2)
    first = _parent(isolated_workdir, "ext")
    first_best = first.data.tags["best_trial"]
    assert first.data.metrics["trials_retried"] == 1

    write_sweep(isolated_workdir, EXTENDED.format(trials=3))
    assert main(["run", "-q", str(path)]) == 0  # extended: trial 3 (learning rate 0.05)
    parent = _parent(isolated_workdir, "ext")
    best = parent.data.tags["best_trial"]
    assert best.startswith("trial-003") and first_best != best, (first_best, best)
    assert parent.data.params["best.learning_rate"] != "0.05"  # the stale param stays
    capsys.readouterr()

    board = json.loads(_run_json(capsys))
    assert board["trials"][0]["trial"] == best and board["trials"][0]["rank"] == 1
    assert sorted(t["trial"][:9] for t in board["trials"]) == ["trial-001", "trial-002",
                                                               "trial-003"]
    assert {t["status"] for t in board["trials"]} == {"completed"}
    assert next(t for t in board["trials"] if t["trial"].startswith("trial-002"))["attempt"] == 2
    assert board["champion"]["trial"] == best

    every = json.loads(_run_json(capsys, "--all-attempts"))
    attempts = [(t["trial"][:9], t["attempt"], t["status"]) for t in every["trials"]]
    assert ("trial-002", 1, "interrupted") in attempts and len(attempts) == 4

    out = isolated_workdir / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    values = _section(page, "Champion&#x27;s hyperparameters")
    assert best in values and "<span>learning_rate</span>0.05" in values
    leaderboard = _section(page, "Leaderboard")
    assert len(re.findall(r">trial-00\d gru x1</td>", leaderboard)) == 3, leaderboard
    assert "1 earlier attempt of 1 retried trial hidden (--all-attempts)" in leaderboard
    assert "<dt>max trials</dt><dd>3</dd>" in page  # the tag, not the first max_trials param


def _run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["leaderboard", "--format", "json", *extra]) == 0
    return capsys.readouterr().out
