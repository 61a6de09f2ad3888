"""Pruning rules, budgets and the oracle controls, on real keras-tuner oracles (nothing trains)."""

from __future__ import annotations

import math
import time

import keras_tuner as kt
import pytest

from lstm_automl.config.schema import PruningConfig
from lstm_automl.tuning.budgets import Budget, Progress
from lstm_automl.tuning.oracle_controls import install
from lstm_automl.tuning.pruning import (
    CURVE_METRIC,
    PRUNED_METRIC,
    AshaRule,
    MedianRule,
    OraclePeers,
    Peer,
    best_so_far,
    make_rule,
    rungs,
)

NAN = math.nan


def done(*values: float) -> Peer:
    return Peer(tuple(values), finished=True)


def running(*values: float) -> Peer:
    return Peer(tuple(values), finished=False)


def test_best_so_far_skips_missing_epochs_and_follows_the_direction():
    assert best_so_far([0.5, NAN, 0.3, 0.4], 4, minimise=True) == 0.3
    assert best_so_far([0.5, NAN, 0.3, 0.4], 2, minimise=True) == 0.5
    assert best_so_far([0.5, 0.9], 2, minimise=False) == 0.9
    assert best_so_far([NAN], 1, minimise=True) is None


def test_median_prunes_a_trial_worse_than_the_finished_median_at_that_epoch():
    rule = MedianRule(minimise=True, min_epochs=2, min_trials=3)
    peers = [done(0.5, 0.2, 0.1), done(0.6, 0.3, 0.2), done(0.7, 0.25)]  # medians 0.6, 0.25
    verdict = rule.decide(2, [0.8, 0.41], peers)
    assert verdict is not None and verdict.reference == pytest.approx(0.25)
    assert verdict.sentence("val_loss") == ("pruned at epoch 2: val_loss 0.41 > median 0.25")
    assert rule.decide(2, [0.8, 0.2], peers) is None  # better than the median: goes on
    # a finished trial that stopped earlier counts with its final best (0.25 at epoch 3)
    assert rule.decide(3, [0.8, 0.3, 0.26], peers).reference == pytest.approx(0.2)


def test_median_waits_for_the_warm_up_and_enough_finished_trials():
    rule = MedianRule(minimise=True, min_epochs=2, min_trials=3)
    peers = [done(0.1, 0.1), done(0.1, 0.1), running(0.1, 0.1), running(0.1, 0.1)]
    assert rule.decide(1, [9.0], [*peers, done(0.1)]) is None  # epoch 1 < min_epochs
    assert rule.decide(2, [9.0, 9.0], peers) is None  # two finished trials < min_trials
    assert rule.decide(2, [9.0, 9.0], [*peers, done(0.1, 0.1)]) is not None


def test_median_maximises_accuracy():
    rule = MedianRule(minimise=False, min_epochs=1, min_trials=1)
    verdict = rule.decide(1, [0.6], [done(0.8)])
    assert verdict is not None and "val_accuracy 0.6 < median 0.8" in verdict.sentence(
        "val_accuracy")
    assert rule.decide(1, [0.9], [done(0.8)]) is None


def test_asha_keeps_the_best_fraction_at_each_rung_counting_running_and_pruned_trials():
    assert rungs(1, 3, 20) == [1, 3, 9]
    assert rungs(2, 2, 8) == [2, 4]
    rule = AshaRule(minimise=True, max_epochs=20, min_epochs=1, min_trials=2, reduction_factor=3)
    peers = [running(0.2), Peer((0.3,), finished=False), done(0.5, 0.4, 0.3)]
    # 4 values at rung 1: 0.2, 0.3, 0.5 and ours; the best ceil(4/3) = 2 go on
    assert rule.decide(1, [0.25], peers) is None
    verdict = rule.decide(1, [0.35], peers)
    assert verdict is not None and verdict.reference == pytest.approx(0.3)
    assert "best 1/3 at this rung" in verdict.sentence("val_loss")
    assert rule.decide(2, [0.9, 0.9], peers) is None  # not a rung
    # rung 3: only the trial that reached epoch 3 counts, fewer than min_trials
    assert rule.decide(3, [0.9, 0.9, 0.9], peers) is None


def test_make_rule_follows_the_config():
    assert make_rule(PruningConfig(), True, 10) is None
    assert isinstance(make_rule(PruningConfig(rule="median"), True, 10), MedianRule)
    asha = make_rule(PruningConfig(rule="asha", min_epochs=1, reduction_factor=2), True, 10)
    assert isinstance(asha, AshaRule) and asha.rungs == [1, 2, 4, 8]


# --- the oracle's side -----------------------------------------------------------------------
def oracle(max_trials: int = 10) -> kt.Oracle:
    made = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"),
                                         max_trials=max_trials, seed=7)
    hp = kt.HyperParameters()
    hp.Choice("units", [4, 8, 16], default=4)
    hp.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    made.update_space(hp)
    made._set_project_dir(".", "oracle")  # the test's own folder (conftest: isolated_workdir)
    return made


def finish(made: kt.Oracle, trial: kt.engine.trial.Trial, score: float) -> None:
    made.update_trial(trial.trial_id, {"val_loss": score}, step=0)
    trial.status = "COMPLETED"
    made.end_trial(trial)


def test_start_with_comes_first_completed_with_defaults_and_never_twice():
    made = oracle()
    install(made, "random", None, [{"units": 16, "learning_rate": 0.01}, {"units": 8},
                                   {"units": 16, "learning_rate": 0.01}])
    first, second, third = (made.create_trial(f"t{i}") for i in range(3))
    assert first.hyperparameters.values == {"units": 16, "learning_rate": 0.01}
    assert second.hyperparameters.values == {"units": 8, "learning_rate": 1e-4}  # the default
    assert third.hyperparameters.values not in (first.hyperparameters.values,
                                                second.hyperparameters.values)  # random now


def test_start_with_skips_what_a_resumed_sweep_tried_already():
    made = oracle()
    install(made, "random", None, [{"units": 16, "learning_rate": 0.01}])
    finish(made, made.create_trial("a"), 0.5)
    install(made, "random", None, [{"units": 16, "learning_rate": 0.01}])  # as after reload
    assert made.create_trial("b").hyperparameters.values != {"units": 16, "learning_rate": 0.01}


def test_start_with_a_key_the_space_lacks_is_a_config_error():
    from lstm_automl.errors import ConfigError

    made = oracle()
    install(made, "random", None, [{"unit": 16}])
    with pytest.raises(ConfigError, match=r"tuner.start_with\[0\].unit: not a hyperparameter"):
        made.create_trial("a")


def test_the_oracle_keeps_curves_and_the_pruned_mark_beside_the_score():
    made = oracle()
    install(made, "random", None, [])
    trial = made.create_trial("a")
    for epoch, value in enumerate([0.9, 0.7]):
        made.update_trial(trial.trial_id, {CURVE_METRIC: value}, step=epoch)
    made.update_trial(trial.trial_id, {PRUNED_METRIC: 2.0}, step=0)
    finish(made, trial, 0.7)
    other = made.create_trial("b")
    peers = OraclePeers(made, remote=False)(other.trial_id)
    assert peers == [Peer((0.9, 0.7), finished=False)]  # pruned: no reference for the median
    assert made.get_trial(trial.trial_id).score == pytest.approx(0.7)
    assert str(made.get_trial(trial.trial_id).status) == "COMPLETED"


def test_no_trial_starts_after_the_deadline_or_once_the_target_is_reached():
    made = oracle()
    install(made, "random", Budget(target=0.3, minimise=True), [])
    finish(made, made.create_trial("a"), 0.5)
    assert made.create_trial("b").status == "RUNNING"
    finish(made, made.get_trial(made.ongoing_trials["b"].trial_id), 0.25)
    assert made.create_trial("c").status == "STOPPED"
    assert made.stop_reason == "tuner.target 0.3 reached (0.25)"

    late = oracle()
    install(late, "random", Budget(deadline=time.time() - 1, max_time=60), [])
    assert late.create_trial("a").status == "STOPPED"
    assert late.stop_reason == "tuner.max_time (1m) is used up"


def test_progress_says_time_left_and_estimates_the_rest():
    budget = Budget(deadline=time.time() + 3600, max_time=7200)
    progress = Progress(budget, started=time.time() - 3600, remaining=lambda: 4)
    assert progress.text().startswith("; 1:0") and "of 2h left" in progress.text()
    progress.seconds += [30.0, 90.0]
    assert progress.text().endswith("about 4:00 to go")  # 4 trials x 60 s
    assert Progress(Budget(), time.time()).text() == ""


@pytest.mark.parametrize("target, retried", [(0.3, False), (0.1, True)])
def test_an_interrupted_trial_is_not_retried_once_the_target_is_reached(target, retried):
    from lstm_automl.tuning._keras_tuner_private import repair_reloaded_oracle

    made = oracle()
    finish(made, made.create_trial("a"), 0.25)
    interrupted = made.create_trial("b")  # running when the process died
    made.save()
    reloaded = oracle()
    reloaded.reload()
    assert repair_reloaded_oracle(reloaded) == [interrupted.trial_id]
    install(reloaded, "random", Budget(target=target, minimise=True), [])
    trial = reloaded.create_trial("c")
    if retried:  # the target is not reached: the interrupted trial runs again first
        assert trial.trial_id == interrupted.trial_id and trial.status == "RUNNING"
    else:
        assert trial.status == "STOPPED"
        assert reloaded.stop_reason == "tuner.target 0.3 reached (0.25)"


def test_the_search_leaves_time_for_the_final_model_and_evaluation():
    """tuner.max_time is for the whole sweep: once a trial completed, the search ends early
    enough for the final model's trainings, the baselines and the registry."""
    from types import SimpleNamespace

    from lstm_automl.tuning.budgets import FinishEstimate

    finish = FinishEstimate(fits=10)
    assert finish.seconds() is None  # nothing to go on yet: the whole budget is the search's
    finish.note(SimpleNamespace(status="FAILED", seconds=5.0))
    finish.note(SimpleNamespace(status="PRUNED", seconds=2.0))
    finish.note(SimpleNamespace(status="COMPLETED", seconds=16.0))
    assert finish.seconds() == pytest.approx(5 + 16 + 10 * 16)  # 181 s

    budget = Budget(deadline=time.time() + 100, max_time=3600, finish=finish)
    assert budget.search_deadline() == pytest.approx(budget.deadline - 181)
    made = oracle()
    install(made, "random", budget, [])
    assert made.create_trial("a").status == "STOPPED"
    assert made.stop_reason == ("tuner.max_time (1h) is used up (about 3:01 kept for the final "
                                "model and evaluation)")
    roomy = Budget(deadline=time.time() + 400, max_time=3600, finish=finish)
    made = oracle()
    install(made, "random", roomy, [])
    assert made.create_trial("a").status == "RUNNING"


def test_no_trial_starts_that_could_not_end_before_the_search_deadline():
    """A trial's build, compile and first batch run before any time limit can stop it, so the
    search ends when less time is left than its shortest trial took (completed or pruned)."""
    from types import SimpleNamespace

    from lstm_automl.tuning.budgets import FinishEstimate

    finish = FinishEstimate()
    finish.note(SimpleNamespace(status="FAILED", seconds=0.5))  # failed at build: no measure
    finish.note(SimpleNamespace(status="COMPLETED", seconds=20.0))
    finish.note(SimpleNamespace(status="PRUNED", seconds=8.0))
    assert finish.shortest == 8.0
    kept = finish.seconds()  # 5 s fixed + the baselines' cap: a median completed trial
    assert kept == pytest.approx(25.0)
    short = Budget(deadline=time.time() + kept + 6, max_time=900, finish=finish)
    made = oracle()
    install(made, "random", short, [])
    assert made.create_trial("a").status == "STOPPED"
    assert made.stop_reason.startswith("tuner.max_time (15m) is used up (the 0:0")
    assert "left is less than the shortest trial so far; about 0:25 kept" in made.stop_reason
    enough = Budget(deadline=time.time() + kept + 30, max_time=900, finish=finish)
    made = oracle()
    install(made, "random", enough, [])
    assert made.create_trial("a").status == "RUNNING"


def test_final_model_fits_count_the_trainings_after_the_search():
    from types import SimpleNamespace

    from lstm_automl.config.plan import final_model_fits

    def fits(top_k: int, seeds: int, refit: bool) -> int:
        return final_model_fits(SimpleNamespace(top_k=top_k, seeds=seeds, refit=refit))

    assert fits(1, 1, False) == 0  # the best trial as it trained
    assert fits(5, 2, False) == 5  # each member's own model is its first seed
    assert fits(5, 2, True) == 10
