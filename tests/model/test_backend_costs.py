"""``training.backend: auto`` by the sweep's work (issue 25): fixed cost per model against time
per step, so short trials go to TensorFlow and long ones to JAX, and the reason says so."""

from __future__ import annotations

import pytest

from conftest import SWEEPS
from lstm_automl.model import backend
from lstm_automl.model.backend import ENV, INHERITED_ENV, choose_backend
from lstm_automl.model.backend_costs import AUTO_COSTS, SweepWork, sweep_work, work_of
from lstm_automl.sweep_file.loader import load_sweep


@pytest.fixture()
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Keras not imported yet, nothing chosen, TensorFlow and JAX installed."""
    monkeypatch.setattr(backend, "imported_backend", lambda: None)
    monkeypatch.setattr(backend, "_selected", None)
    monkeypatch.setattr(backend, "installed", lambda name: name in ("tensorflow", "jax"))
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(INHERITED_ENV, raising=False)
    return monkeypatch


def test_the_quickstart_s_work_counts_trials_final_members_epochs_and_batches():
    loaded = load_sweep(SWEEPS / "quickstart.yaml")
    work = work_of(loaded)()
    # 6 trials + 4 members x 2 seeds refitted; 30 epochs; 71 windows in batches of 8 or 16
    assert work == SweepWork(trainings=14, epochs=30, batches=7)
    assert sweep_work(loaded.config, 71) == work


def test_auto_takes_the_backend_estimated_faster_for_this_sweep(fresh_process):
    (tf_fixed, tf_step), (jax_fixed, jax_step) = AUTO_COSTS["tensorflow"], AUTO_COSTS["jax"]
    assert tf_fixed < jax_fixed and jax_step < tf_step  # the trade-off the rule weighs
    even = (jax_fixed - tf_fixed) / (tf_step - jax_step)  # steps where both cost the same
    short = SweepWork(trainings=10, epochs=1, batches=max(1, int(even / 2)))
    long = SweepWork(trainings=10, epochs=4, batches=int(even))
    chosen = choose_backend(work=lambda: short)
    assert chosen.name == "tensorflow"
    assert chosen.reason.startswith("auto: faster for this sweep: ~")
    assert "against jax ~" in chosen.reason and "10 trainings x 1 epochs" in chosen.reason
    assert choose_backend(work=lambda: long).name == "jax"


def test_auto_without_the_work_or_without_a_choice_keeps_the_old_rule(fresh_process):
    assert choose_backend(work=lambda: None).reason.startswith("auto: fastest installed")
    assert choose_backend().name == "jax"
    fresh_process.setattr(backend, "installed", lambda name: name == "tensorflow")
    asked = []
    assert choose_backend(work=lambda: asked.append(1)).name == "tensorflow"
    assert asked == []  # only one candidate: the data is not read for nothing
    fresh_process.setattr(backend, "installed", lambda name: True)
    fresh_process.setenv(ENV, "jax")  # the user's KERAS_BACKEND still wins over the estimate
    assert choose_backend(work=lambda: SweepWork(100, 1, 1)).name == "jax"
