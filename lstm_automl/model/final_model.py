"""The model a sweep registers: the best trial as it trained, or an ensemble refit on more data.

Neural forecasters that win on short series (ES-RNN, N-BEATS, the M4 winners) average several
models, and a model chosen on the validation split gains from then training on it too. The
search has already chosen by then, so neither touches the test split: members are the best
trials by their validation objective, retrained (``final_model.refit``) for the epoch count at
which each scored best, then averaged inside one Keras model that saves, loads and serves like
any single network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from lstm_automl.config.schema import FinalModelConfig
from lstm_automl.data.base import SweepData
from lstm_automl.data.variants import HP_PREFIX
from lstm_automl.model.hypermodel import build_model, resolve_jit
from lstm_automl.model.lr_schedule import train_steps
from lstm_automl.model.space import declare_space


@dataclass
class FinalModel:
    """The registered network and how it came about, for the description and the console."""

    model: keras.Model
    members: list[str]  # trial names, best first
    description: str  # "trial-003 as trained" or "mean of 3 trials x 2 seeds, refit ..."
    notes: list[str] = field(default_factory=list)
    # The networks averaged, trial by trial (``seeds`` copies each), and the keras-tuner trials
    # they came from, best first: ``final_model.blend`` weighs them (model/blend.py).
    networks: list[keras.Model] = field(default_factory=list, repr=False)
    trials: list[Any] = field(default_factory=list, repr=False)


def members_for(best: Any, ranked: list[Any], top_k: int) -> list[Any]:
    """The best trial and the next best completed ones that trained on the same data variant
    (members of an ensemble must share its input windows and scaling)."""
    variant = _variant(best)
    chosen = [best]
    for trial in ranked:
        if len(chosen) == top_k:
            break
        if trial.trial_id != best.trial_id and _variant(trial) == variant:
            chosen.append(trial)
    return chosen


def _variant(trial: Any) -> dict[str, Any]:
    return {k: v for k, v in trial.hyperparameters.values.items() if k.startswith(HP_PREFIX)}


def build_final_model(settings: FinalModelConfig, tuner: Any, data: SweepData,
                      specs: dict[str, Any], seed: int, names: dict[str, str],
                      jit_compile: bool | str = "auto", python: Any = None) -> FinalModel:
    """Load or retrain the members and average them; ``names`` maps trial ids to run names.

    ``python``: the sweep's ``PythonBuilder`` (``model.python``), which rebuilds its members.
    """
    best = tuner.oracle.get_best_trials(1)[0]
    ranked = tuner.oracle.get_best_trials(max(settings.top_k * 4, 8))
    members = members_for(best, ranked, settings.top_k)
    notes = []
    if len(members) < settings.top_k:
        notes.append(f"final_model.top_k {settings.top_k}: only {len(members)} completed "
                     f"trial(s) share the best trial's data variant; averaging those")
    models = []
    for rank, trial in enumerate(members):
        for copy in range(settings.seeds):
            if not settings.refit and copy == 0:
                models.append(tuner.load_model(trial))  # the trial's own best checkpoint
                continue
            member_seed = seed + 7919 * (rank + 1) + 104729 * copy
            models.append(train_member(trial, data, specs, member_seed, settings.refit,
                                       jit_compile, python))
    shown = [names.get(t.trial_id, f"trial {t.trial_id}") for t in members]
    if len(models) == 1:
        return FinalModel(models[0], shown, f"{shown[0]} as trained", notes, models, members)
    how = f"mean of {len(members)} trial{'s' if len(members) > 1 else ''}"
    if settings.seeds > 1:
        how += f" x {settings.seeds} seeds"
    if settings.refit:
        how += ", each refit on train + validation for its best epoch count"
    return FinalModel(average(models), shown, f"{how} ({', '.join(shown)})", notes, models,
                      members)


def train_member(trial: Any, data: SweepData, specs: dict[str, Any], seed: int, refit: bool,
                 jit_compile: bool | str = "auto", python: Any = None) -> keras.Model:
    """Train the trial's configuration afresh with ``seed`` for the epochs at which it scored
    best, on train (+ validation when ``refit``); ``python``: the user's builder rebuilds it."""
    keras.utils.set_random_seed(seed)
    hp = trial.hyperparameters.copy()
    train, val = data.splits["train"], data.splits["validation"]
    x, y = train.x, train.y
    if refit and len(val.x):
        x, y = np.concatenate([train.x, val.x]), np.concatenate([train.y, val.y])
    shape = data.model_shape(refit=refit)  # a residual's classical model fits the same rows
    work = len(x) * shape.steps
    jit = resolve_jit(jit_compile, work)
    epochs = int(getattr(trial, "best_step", 0) or 0) + 1
    if python is not None:
        model = python.build(hp, shape, specs, jit)
        batch_size = int(hp.get("batch_size"))
    else:  # lr_schedule cosine decays over this training's own steps
        values = declare_space(hp, specs)
        batch_size = int(values["batch_size"])
        model = build_model(values, shape, seed=seed, jit_compile=jit,
                            train_steps=train_steps(len(x), batch_size, epochs))
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True,
              verbose=0, **data.fit_kwargs())
    return model


def average(models: list[keras.Model]) -> keras.Model:
    """One Keras model whose output is the mean of the members' outputs (same input)."""
    first = models[0]
    inputs = keras.Input(shape=first.input_shape[1:], name="window")
    outputs = []
    for index, member in enumerate(models):
        member.name = f"member_{index}"  # unique names: several members share a config
        outputs.append(member(inputs))
    mean = keras.layers.Average(name="ensemble_mean", dtype="float32")(outputs)
    model = keras.Model(inputs, mean, name=f"ensemble_of_{len(models)}")
    model.compile(optimizer="adam", loss="mse")  # compiled, so it saves like a member
    return model
