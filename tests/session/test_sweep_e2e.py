"""End to end: real Keras training, real keras-tuner, a real MLflow sqlite store.

What a plain sweep records and registers (on TensorFlow and on JAX) is checked on the sweep
tests/report/test_report.py records once for its module."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, run_in, write_sweep
from lstm_automl.cli import main

pytestmark = pytest.mark.slow

SWEEP = """
name: {name}
seed: {seed}
data:
  source: builtin:nile
  lookback: 6
  split: {{validation: 0.2, test: 0.2}}
search:
  cell: {cell}
  layers: {{int: [1, 2]}}
  units: {{choice: [4, 8], per_layer: true}}
  bidirectional: {{choice: [false, true]}}
  learning_rate: {{float: [1.0e-3, 1.0e-2], log: true}}
tuner: {{algorithm: {algorithm}, max_trials: {trials}}}
training: {{epochs: 2, early_stopping_patience: null}}
tracking: {{champion_must_beat_baseline: false}}  # 2 epochs lose to AR/ETS; the alias is tested
"""


def sweep_text(name="e2e", seed=3, cell="{choice: [peephole, gru]}", algorithm="random",
               trials=3) -> str:
    return SWEEP.format(name=name, seed=seed, cell=cell, algorithm=algorithm, trials=trials)


def mlflow_client(folder: Path):
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    return mlflow, mlflow.MlflowClient()


def runs_of(folder: Path, experiment: str):
    mlflow, client = mlflow_client(folder)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return client, exp, parents, children


@pytest.fixture(scope="module")
def peephole_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One registered peephole-only sweep (seed 11, 2 trials), run in this process: a fresh
    process loads its champion."""
    folder = tmp_path_factory.mktemp("peep")
    path = write_sweep(folder, sweep_text(name="peep", seed=11, cell="peephole", trials=2))
    assert run_in(folder, ["run", "-q", str(path)]) == 0
    return folder


@pytest.mark.xdist_group("sweep-e2e-peephole")
def test_peephole_champion_loads_in_a_fresh_process(peephole_sweep: Path, tmp_path):
    """Neither loader may depend on the user having imported lstm_automl first."""
    script = textwrap.dedent(f"""
        import sys, numpy as np, mlflow
        mlflow.set_tracking_uri("sqlite:///{peephole_sweep / 'mlflow.db'}")
        assert "lstm_automl" not in sys.modules
        x = np.random.default_rng(0).normal(size=(3, 6, 1)).astype("float32")
        pyfunc_model = mlflow.pyfunc.load_model("models:/peep@champion")
        first = pyfunc_model.predict(x)
        assert first.shape == (3, 1), first.shape
        keras_model = mlflow.keras.load_model("models:/peep@champion")
        rnns = [getattr(l, "forward_layer", l) for l in keras_model.layers]  # Bidirectional
        names = [type(l.cell).__name__ for l in rnns if hasattr(l, "cell")]
        assert "PeepholeLSTMCell" in names, names
        np.testing.assert_allclose(keras_model.predict(x, verbose=0), first, rtol=1e-6)
        print("ok")
    """)
    env = {"PATH": "/usr/bin:/bin", "MLFLOW_DISABLE_TELEMETRY": "true",
           "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_champion_alias_moves_only_to_a_better_model(tmp_path):
    import keras
    import numpy as np
    from mlflow.models import infer_signature

    from lstm_automl.serving.model_saving import save_sweep_model
    from lstm_automl.tracking.registry import Candidate, log_champion_candidate

    mlflow, client = mlflow_client(tmp_path)
    uri = mlflow.get_tracking_uri()
    model = keras.Sequential([keras.Input((4, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((2, 4, 1), dtype="float32")
    signature = infer_signature(x, model.predict(x, verbose=0))

    def save(path):
        save_sweep_model(model, path, signature, [])

    experiment = client.create_experiment("alias", artifact_location=(tmp_path / "a").as_uri())
    outcomes = []
    for rmse in (5.0, 7.0, 3.0, 1.0):
        run = client.create_run(experiment)
        withheld = "it loses to the strongest baseline" if rmse == 1.0 else None
        candidate = Candidate("alias-test", {"test_rmse": rmse}, "test_rmse", False,
                              "test model", withheld=withheld)
        outcomes.append(log_champion_candidate(uri, run.info.run_id, candidate, save))
    assert [(o.version, o.champion) for o in outcomes] == [
        ("1", True), ("2", False), ("3", True), ("4", False)]
    assert str(client.get_model_version_by_alias("alias-test", "champion").version) == "3"
    assert "Champion: no" in client.get_model_version("alias-test", "2").description
    assert "loses to the strongest baseline" in outcomes[3].reason
    assert client.get_model_version("alias-test", "3").tags["test_rmse"] == "3"


def test_diverging_trials_are_reported_and_nothing_is_registered(tmp_path, capsys):
    text = sweep_text(name="diverge", cell="lstm", trials=2).replace(
        "learning_rate: {float: [1.0e-3, 1.0e-2], log: true}",
        "learning_rate: 1.0\n  optimizer: sgd\n  units: {choice: [4, 8]}\n  batch_size: 1").replace(
        "  lookback: 6\n", "  lookback: 6\n  scaling: none\n")
    text = text.replace("  units: {choice: [4, 8], per_layer: true}\n", "")
    text = text.replace("tuner: {algorithm: random, max_trials: 2}",
                        "tuner: {algorithm: random, max_trials: 2, max_consecutive_failures: 2}")
    path = write_sweep(tmp_path, text)
    assert main(["run", str(path)]) == 1
    captured = capsys.readouterr()
    assert "NaN or infinite" in captured.out
    assert "stopped after 2 failed trials in a row" in captured.err
    assert "Traceback" not in captured.err and "keras_tuner.src" not in captured.out
    client, _, parents, children = runs_of(tmp_path, "diverge")
    assert len(parents) == 1 and parents[0].info.status == "FAILED"
    assert children and all(c.info.status == "FAILED" for c in children)
    assert len(children) == 2
    assert all(c.data.tags["failure"].startswith("loss became NaN") for c in children)
    failure_file = client.download_artifacts(children[0].info.run_id, "failure.txt", str(tmp_path))
    assert "Traceback" in Path(failure_file).read_text()
    assert client.search_registered_models() == []


def test_grid_smaller_than_max_trials_ends_cleanly(tmp_path, capsys):
    text = sweep_text(name="grid", cell="{choice: [lstm, gru]}", algorithm="grid", trials=5)
    text = text.replace("  layers: {int: [1, 2]}\n", "").replace(
        "  units: {choice: [4, 8], per_layer: true}\n", "").replace(
        "  bidirectional: {choice: [false, true]}\n", "").replace(
        "  learning_rate: {float: [1.0e-3, 1.0e-2], log: true}\n", "")
    path = write_sweep(tmp_path, text)
    assert main(["run", str(path)]) == 0
    assert "fewer than max_trials" in capsys.readouterr().out
    _, _, parents, children = runs_of(tmp_path, "grid")
    assert sorted(c.data.params["cell"] for c in children) == ["gru", "lstm"]


# The same seed samples the same trials with the same scores in a fresh process, whatever this
# one ran before: tests/resume/test_faults.py proves it on every census (the killed sweep's
# trials ran in a fresh child, the reference's in the test process), so no sweep is run again
# here in a fresh process for that alone.


def test_unreachable_tracking_server_fails_before_training(tmp_path, capsys):
    text = sweep_text(name="offline").replace(
        "tracking: {champion_must_beat_baseline: false}",
        "tracking: {tracking_uri: 'http://127.0.0.1:9'}")
    path = write_sweep(tmp_path, text)
    assert main(["run", str(path)]) == 1
    assert "tracking store http://127.0.0.1:9 cannot be used" in capsys.readouterr().err
    assert not (tmp_path / ".lstm_sweep").exists()


def test_python_m_entry_point_matches_console_script():
    done = subprocess.run([sys.executable, "-m", "lstm_automl", "validate",
                           str(PROJECT_ROOT / "sweeps" / "quickstart.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "valid sweep 'quickstart'" in done.stdout


def test_classification_sweep_on_unequal_lengths(tmp_path, capsys):
    text = """
name: vowels
data: {source: builtin:JapaneseVowels, task: classify, class_weight: balanced}
search: {cell: {choice: [gru, peephole]}, units: 8, conv_front: {choice: [false, true]}}
tuner: {algorithm: random, max_trials: 2, objective: val_accuracy}
training: {epochs: 2, early_stopping_patience: null}
"""
    assert main(["run", str(write_sweep(tmp_path, text))]) == 0
    out = capsys.readouterr().out
    assert "padded and masked" in out and "baseline majority" in out
    client, _, parents, children = runs_of(tmp_path, "vowels")
    parent = parents[0]
    assert len(children) == 2
    assert all("val_accuracy" in c.data.metrics for c in children)
    assert {"test_accuracy", "test_macro_f1", "test_log_loss",
            "baseline_majority_test_accuracy"} <= set(parent.data.metrics)
    assert "test_accuracy_lift_over_best_baseline" in parent.data.metrics
    table = Path(client.download_artifacts(parent.info.run_id, "test_predictions.csv",
                                           str(tmp_path))).read_text().splitlines()
    assert table[0].startswith("case,label,predicted,p_1,p_2") and len(table) == 371
    # Two epochs lose to 1-NN DTW: registered, but the 'champion' alias is withheld, and the
    # strongest baseline is the DTW one.
    assert parent.data.tags["lstm_sweep.strongest_baseline"] == "1nn_dtw"
    assert "baseline_1nn_dtw_test_accuracy" in parent.data.metrics
    version = client.get_model_version("vowels", "1")
    assert "test_accuracy" in version.tags and not version.aliases
    assert version.tags["lstm_sweep.verdict"] == "loses to 1nn_dtw"


def test_regression_sweep_on_the_adding_problem(tmp_path):
    text = """
name: adding
data: {source: "generate:adding", task: regress, generate: {length: 20, samples: 300}}
search: {cell: lstm, units: 8, learning_rate: 0.01}
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 2, early_stopping_patience: null}
"""
    assert main(["run", "-q", str(write_sweep(tmp_path, text))]) == 0
    _, _, parents, children = runs_of(tmp_path, "adding")
    metrics = parents[0].data.metrics
    assert {"test_rmse", "baseline_mean_test_rmse"} <= set(metrics)
    assert "val_rmse" in children[0].data.metrics
