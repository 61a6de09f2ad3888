"""The one rule for which way a metric is better (``families.direction``/``higher_is_better``)."""

from __future__ import annotations

import pytest

from lstm_automl.config.names import (
    BACKTEST_PREFIX,
    TASK_METRICS,
    direction,
    higher_is_better,
    objective_names,
)

GROWING = {"accuracy"}  # of the metrics the tasks report, only accuracy grows with quality


@pytest.mark.parametrize("task", sorted(TASK_METRICS))
def test_every_objective_of_every_task_has_one_direction(task: str):
    for metric in TASK_METRICS[task]:
        expected = "max" if metric in GROWING else "min"
        for name in (metric, f"val_{metric}", f"{BACKTEST_PREFIX}val_{metric}"):
            assert direction(name) == expected, name
            assert higher_is_better(name) is (expected == "max"), name
    for name in objective_names(task, backtest=True):
        assert direction(name) in ("min", "max")


def test_an_explicit_direction_wins():
    assert direction("val_loss", "max") == "max"
    assert direction("val_accuracy", "min") == "min"
    assert direction("val_accuracy", None) == "max"


def test_test_metrics_of_the_report_follow_the_same_rule():
    assert higher_is_better("macro_f1") and higher_is_better("auc")
    assert not higher_is_better("rmse") and not higher_is_better("mape")
    assert not higher_is_better(None)
