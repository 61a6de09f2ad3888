"""What mattered: the fANOVA importances agree with analytic variance shares, and the pictures and
the report's text come from a sweep recorded in a real MLflow store (written directly, no
training)."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_automl.report.importance import MIN_TRIALS, fanova_first_order, what_mattered


def _shares(function: Any, points: int = 64, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).random((points, 3))
    return fanova_first_order(x, function(x)).mean(axis=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_importances_agree_with_the_known_shares_of_10a_plus_b(seed: int):
    """y = 10a + 1b + 0c on the unit cube: Var = 100/12 + 1/12, so a explains 0.990, b 0.0099,
    c nothing (the reference: first-order Sobol indices, exact here)."""
    a, b, c = _shares(lambda x: 10 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2], seed=seed)
    assert a == pytest.approx(100 / 101, abs=0.03)
    assert b < 0.05 and c < 0.01
    assert a > b > c


@pytest.mark.parametrize("seed", [0, 1])
def test_importances_agree_with_the_known_shares_of_3a_plus_2b(seed: int):
    """y = 3a + 2b: shares 9/13 and 4/13; the forest's shares are within 0.1 of them."""
    a, b, c = _shares(lambda x: 3 * x[:, 0] + 2 * x[:, 1], seed=seed)
    assert a == pytest.approx(9 / 13, abs=0.1)
    assert b == pytest.approx(4 / 13, abs=0.1)
    assert c < 0.03


def test_a_pure_interaction_has_no_first_order_share():
    a, b, _ = _shares(lambda x: (x[:, 0] - 0.5) * (x[:, 1] - 0.5), points=200)
    assert a < 0.25 and b < 0.25  # the rest is the interaction


# --- a recorded sweep ---------------------------------------------------------------------------

def recorded_sweep(folder: Path, trials: list[dict[str, Any]]) -> tuple[Any, str]:
    """A store shaped like a sweep's: a parent run and trial runs with params, status, score."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'm.db'}")
    experiment = client.create_experiment("imp", artifact_location=(folder / "art").as_uri())
    parent = client.create_run(experiment, run_name="sweep imp", tags={
        "lstm_sweep.kind": "sweep", "sweep": "imp", "task": "forecast"})
    pid = parent.info.run_id
    client.log_param(pid, "objective", "val_loss")
    for number, spec in enumerate(trials, start=1):
        status = spec.pop("status", "completed")
        score = spec.pop("score")
        run = client.create_run(experiment, run_name=f"trial-{number:03d}", tags={
            "lstm_sweep.kind": "trial", "mlflow.parentRunId": pid, "status": status,
            "trial_number": str(number), "trial_id": str(number - 1), "cell": spec["cell"]})
        for key, value in spec.items():
            client.log_param(run.info.run_id, key, str(value))
        if score is not None:
            client.log_metric(run.info.run_id, "best_val_loss", score)
        client.set_terminated(run.info.run_id, "FAILED" if score is None else "FINISHED")
    client.set_terminated(pid, "FINISHED")
    return client, pid


def learning_rate_matters(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """Trials whose score is set by the learning rate; cell, units and depth barely count.
    One or two layers (``units_1`` inactive with one), some trials pruned, one failed."""
    rng = random.Random(seed)
    trials = []
    for index in range(count):
        layers = rng.choice([1, 2])
        lr = 10 ** rng.uniform(-4, -1)
        spec: dict[str, Any] = {"cell": rng.choice(["lstm", "gru"]), "layers": layers,
                                "units_0": rng.choice([8, 16, 32]), "learning_rate": lr,
                                "bidirectional": rng.choice([True, False]),
                                "score": 0.1 + (math.log10(lr) + 1) ** 2 + rng.uniform(0, 0.05)}
        if layers == 2:
            spec["units_1"] = rng.choice([8, 16, 32])
        if index % 4 == 3:
            spec["status"] = "pruned"
        trials.append(spec)
    trials.append({"cell": "lstm", "layers": 1, "units_0": 8, "learning_rate": 0.5,
                   "score": None, "status": "failed"})
    return trials


def test_what_mattered_finds_the_learning_rate_and_draws_both_pictures(isolated_workdir):
    from lstm_automl.report import log_sweep_figures, sweep_figures
    from lstm_automl.report.html import report_html
    from lstm_automl.tracking.read_back import load_sweep_runs

    client, pid = recorded_sweep(isolated_workdir, learning_rate_matters(24))
    sweep = load_sweep_runs(client, client.get_run(pid))
    found = what_mattered(sweep)
    assert found.reason is None
    assert len(found.trials) == 24 and found.pruned == 6  # the failed trial is left out
    top, share = found.ranked[0]
    assert top.key == "learning_rate" and share > 0.5 and top.log
    labels = {f.key: f.label for f in found.features}
    assert labels["units_1"] == "units (layer 2)"
    units_1 = next(f for f in found.features if f.key == "units_1")
    assert units_1.off_share > 0 and units_1.ticks()[0][1] == "off"  # inactive with one layer
    cell = next(f for f in found.features if f.key == "cell")
    assert cell.levels == ("gru", "lstm")

    figures = sweep_figures(client, pid)
    bars = figures["hyperparameter_importance"].axes[0]
    assert [t.get_text() for t in bars.get_yticklabels()][-1] == "learning_rate"
    assert "6 of them pruned" in bars.get_title()
    lines = figures["parallel_coordinates"].axes[0].get_lines()
    trial_lines = [line for line in lines if len(line.get_xdata()) > 2
                   and line.get_color() != "black"]  # black: the champion's outline
    assert len(trial_lines) == 24
    assert sum(line.get_linestyle() == "--" for line in trial_lines) == 6  # the pruned ones
    assert max(line.get_linewidth() for line in trial_lines) > 3  # the champion
    assert {"hyperparameter_importance", "parallel_coordinates"} <= {
        Path(p).stem for p in log_sweep_figures(client, pid)}
    logged = client.get_run(pid).data.metrics  # sortable across sweeps in the MLflow UI
    assert logged["importance_learning_rate"] == pytest.approx(share)
    assert set(found.shares) == {k.removeprefix("importance_") for k in logged
                                 if k.startswith("importance_")}

    page = report_html(client, sweep, {})
    section = page.split("<h2>What mattered</h2>", 1)[1].split("</section>", 1)[0]
    assert section.count("<li>") == 3 and "<b>learning_rate</b>" in section
    assert "6 of them pruned" in section


def test_too_few_trials_say_so_instead_of_a_picture(isolated_workdir):
    from lstm_automl.report import sweep_figures
    from lstm_automl.report.html import report_html
    from lstm_automl.tracking.read_back import load_sweep_runs

    client, pid = recorded_sweep(isolated_workdir, learning_rate_matters(MIN_TRIALS - 1))
    sweep = load_sweep_runs(client, client.get_run(pid))
    assert what_mattered(sweep).reason == (f"too few scored trials to tell what mattered: "
                                           f"{MIN_TRIALS - 1}, at least {MIN_TRIALS} needed")
    figures = sweep_figures(client, pid)
    assert "hyperparameter_importance" not in figures
    assert "parallel_coordinates" in figures  # every trial is still shown, without a verdict
    page = report_html(client, sweep, {})
    assert "No importances: too few scored trials to tell what mattered" in page


def test_the_sweep_says_what_mattered_in_one_console_line(isolated_workdir):
    """What ``lstm-sweep run`` prints under its leaderboard, from the pictures it just logged."""
    from lstm_automl.session.finish import _log_pictures

    _, pid = recorded_sweep(isolated_workdir, learning_rate_matters(24))
    line = _log_pictures(f"sqlite:///{isolated_workdir / 'm.db'}", pid)
    assert line.startswith("learning_rate ")
    assert line.endswith("; fANOVA over 24 scored trials (plots/hyperparameter_importance.png)")
    assert line.count("%") == 3  # the top three
