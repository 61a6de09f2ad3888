"""``lstm-sweep data`` shows what a sweep will see, without TensorFlow and without writing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import SWEEPS
from lstm_automl.cli import main


@pytest.mark.parametrize("sweep, expected", [
    ("quickstart.yaml", ["train_range: 1949-01..1956-12", "baseline seasonal_naive",
                         "test window 0: 1956-12..1958-12 -> 1959-01",
                         "baseline sarima (SARIMA(0,1,1)(0,1,1)12 on log) on the test split: "
                         "rmse 15.28", "baseline ar_log (AR(", "<- strongest"]),
    ("japanese_vowels.yaml", ["padded, masked", "test: 370 sequences", "baseline majority"]),
    ("adding_problem.yaml", ["baseline mean", "100 steps x 2 features"]),
    ("label_example.yaml", ["60 steps x 1 features; output: 3 per step",
                            "3 classes per step", "train: 434 sequences; steps per class",
                            "baseline majority (most frequent class at every step (calm)) on "
                            "the test split: accuracy 0.3217",
                            "baseline window (ridge classifier on a window of 33 steps (values "
                            "and squares), alpha 0.1, both chosen on validation) on the test "
                            "split: accuracy 0.8528", "<- strongest"]),
    # generated sentences: the window tagger is what to beat (the unigram tagger guesses the
    # ambiguous words), tokens split on whitespace as written, one tag each
    ("tagging_example.yaml", ["texts train 1084 / validation 191 / test 225",
                              "word tokens (split on whitespace, as written), vocabulary 44",
                              "6 tags per token", "16 steps x 1 features (padded, masked)",
                              "test: 225 texts, ",
                              "baseline unigram (most frequent tag of each token in training, "
                              "unknown tokens ADV) on the test split: accuracy 0.9128",
                              "baseline window (logistic regression on the tokens at -2..+2 "
                              "around each token, C 0.1 by validation) on the test split: "
                              "accuracy 0.9609", "<- strongest",
                              "train text 1: We/PRON watch/VERB that/DET quite/ADV really/ADV "
                              "light/NOUN ..."]),
    ("detect_example.yaml", ["labelled anomaly windows train 12, validation 4, test 7",
                             "baseline seasonal_residual (absolute change from one season (24) "
                             "earlier) on the test split: f1 0.4783", "baseline isolation_forest",
                             "baseline rolling_zscore", "test_anomaly_windows: 7"]),
    # the shipped real benchmark (ISSNIP 2010): its one event in the test half, none before
    ("detect_sensor.yaml", ["labelled anomaly windows train 0, validation 0, test 1",
                            "test_anomalous_steps: 117", "baseline seasonal_residual",
                            "baseline isolation_forest", "baseline rolling_zscore",
                            "<- strongest"]),
])
def test_data_command_describes_the_sweep(sweep, expected, capsys, isolated_workdir):
    assert main(["data", str(SWEEPS / sweep)]) == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out
    assert list(isolated_workdir.iterdir()) == []


def _strongest_rmse(out: str) -> float:
    line = next(line for line in out.splitlines() if line.endswith("<- strongest"))
    return float(line.split(" rmse ")[1].split()[0])


@pytest.mark.parametrize("sweep, main_had", [
    ("quickstart.yaml", "baseline sarima (SARIMA(0,1,1)(0,1,1)12 on log) on the test split: "
                        "rmse 15.28 "),
    ("airline_24.yaml", "baseline ar (AR(14) with linear trend) on the test split: rmse 37.6 "),
])
def test_more_baseline_entries_never_lower_the_bar(sweep, main_had, capsys, isolated_workdir):
    """Each entry the previous release showed keeps its numbers, and its strongest (given
    here) stays the bar or is beaten by a new entry: adding variants only raises it."""
    assert main(["data", str(SWEEPS / sweep)]) == 0
    out = capsys.readouterr().out
    assert main_had in out
    assert _strongest_rmse(out) <= float(main_had.split(" rmse ")[1])


def test_data_command_imports_no_framework(isolated_workdir):
    code = ("import sys; from lstm_automl.cli import main; "
            f"rc = main(['data', {str(SWEEPS / 'gunpoint.yaml')!r}]); "
            "heavy = [m for m in ('tensorflow', 'keras', 'keras_tuner', 'mlflow') "
            "if m in sys.modules]; print('HEAVY', heavy); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=isolated_workdir)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout


def test_data_command_shows_backtest_folds(capsys, isolated_workdir):
    assert main(["data", str(SWEEPS / "airline_backtest.yaml")]) == 0
    out = capsys.readouterr().out
    assert "backtest fold 1: train 1949-01..1955-12 (71 windows), validation 1956-01..1956-12 " \
           "(12 windows)" in out
    assert "backtest fold 3: train 1949-01..1957-12 (95 windows), validation " \
           "1958-01..1958-12 (12 windows) (the ordinary split)" in out
