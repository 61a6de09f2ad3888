"""``final_model.blend: with_baselines``: the networks and the classical baselines, weighted.

A recurrent network that loses to SARIMA on a short series may still add something to it. The
weights come from greedy ensemble selection (``model/greedy.py``) on the validation split, where
every member's forecasts are out of sample: each network is its trial's own checkpoint (trained
on the training split), each classical member the same baseline entry fitted on the training
rows only. The networks enter that selection together, as their equal mean, so it cannot
pick one trial that was lucky on validation. A split of 14-24 windows still lets it fit noise,
so its weights are shrunk half-way toward equal weights for the networks and the two best
validated baselines (``choose_weights``). The served members are the final networks (refit when
``final_model.refit``) and the baselines exactly as the verdict scored them (fitted on every row
before the test split), so a blend that puts all its weight on one baseline scores exactly that
baseline.

The blend is formed in original units:
``forecast = w_net * network(x) + sum_c w_c * classical_c(history)``, where ``network`` is the
weighted mean of the networks in the model's own units, mapped back to original units. The
registered Keras model is that weighted mean; the pyfunc adds the classical members from the
caller's history (``serving/blend_serving.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from lstm_automl.baselines.classical import classical_forecasts
from lstm_automl.baselines.classical_spec import to_spec
from lstm_automl.data.metrics import forecast_metrics
from lstm_automl.model.greedy import DEFAULT_ROUNDS, greedy_weights

if TYPE_CHECKING:
    from lstm_automl.data.base import Baselines
    from lstm_automl.model.final_model import FinalModel


@dataclass
class Blend:
    """The blended final model: what is served and what the console and registry show."""

    model: keras.Model  # the weighted mean of the networks (model units)
    network_weight: float
    weights: dict[str, float]  # every member with a weight > 0: run names, baseline entries
    classical: list[dict[str, Any]]  # name, label, weight, model (classical_spec) each
    forecast: np.ndarray  # the blend's test forecasts, original units
    description: str
    notes: list[str] = field(default_factory=list)
    rule: str = ""  # how the weights were chosen, in a few words (the console's label)
    history_rows: int = 0  # the rows the classical members were fitted on, from the first
    first_time: str | None = None  # the series' first time value, where it has a time column
    # every candidate's validation and test forecasts, the actual values and the weights
    # (original units): the sweep run's ``blend/members.npz``, to compare weight rules
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def spec(self) -> dict[str, Any]:
        """What the pyfunc needs beside the network (``preprocessing.json``'s ``blend``)."""
        return {"network_weight": self.network_weight, "classical": self.classical,
                "history_rows": self.history_rows, "first_time": self.first_time}


@dataclass
class _Members:
    """Validation forecasts of every candidate: networks in model units, baselines in
    original units."""

    names: list[str]
    networks: list[np.ndarray]  # one per trial, scaled
    classical: dict[str, np.ndarray]  # entry -> (n, horizon), original units


def build_blend(final: FinalModel, tuner: Any, data: Any, report: Baselines, budget_s: float,
                rounds: int = DEFAULT_ROUNDS) -> Blend:
    """Choose the weights on the validation split and blend the test forecasts."""
    if not len(data.splits["validation"].x):
        raise ValueError("no validation windows to choose the weights on")
    members, notes = _validation_members(final, tuner, data, report, budget_s)
    forecast_of = _validation_forecast(members, data)
    loss = _validation_loss(forecast_of, data)
    weights, rule = choose_weights(members, loss, rounds)
    alone = np.eye(len(members.names))
    scores = ", ".join(f"{name} {loss(alone[j]):.4g}" for j, name in enumerate(members.names))
    notes.append(f"blend: validation {_metric_name(data)} of each member alone: {scores}; of "
                 f"the blend: {loss(weights):.4g}")
    n_net = len(members.networks)
    per_trial = weights[:n_net]
    net_weight = float(per_trial.sum())
    relative = per_trial / net_weight if net_weight > 0 else np.full(n_net, 1.0 / n_net)
    copies = _copies(final)
    network = weighted(final.networks, np.repeat(relative / copies, copies))
    test = data.splits["test"]
    forecast = sum((w * report.forecasts[name].predictions
                    for name, w in zip(members.classical, weights[n_net:], strict=True)),
                   np.zeros((len(test.x), data.horizon)))
    if net_weight > 0:
        forecast = forecast + net_weight * data.inverse_target(
            network.predict(test.x, verbose=0), test.index)
    blend = _assemble(final, members, weights, network, forecast, report, rule, notes)
    blend.arrays = _member_arrays(final, members, data, report, weights)
    blend.history_rows = int(data.split_rows["test"][0])
    if data.time_column and data.time_values:
        blend.first_time = str(data.time_values[0])
    return blend


GREEDY_SHARE = 0.5  # of greedy selection's weights; the rest to equal weights (issue 21)
EQUAL_BASELINES = 2  # the best validated baselines that share the equal weights


def choose_weights(members: _Members, loss: Callable[[np.ndarray], float],
                   rounds: int = DEFAULT_ROUNDS) -> tuple[np.ndarray, str]:
    """Greedy selection's weights (the networks as one member: their equal mean) shrunk half-way
    toward equal weights for the networks and the two best validated baselines.

    A validation split of 14-24 windows lets greedy selection fit its noise (issue 21): picking
    one lucky trial, or one baseline that happened to do best there, lost on unseen series. The
    forecast-combination literature's remedy is to shrink estimated weights toward equal ones
    (Diebold and Pauly 1990; the "combination puzzle" of Stock and Watson 2004); the share is
    fixed, not fitted. Chosen on the development series over 5 seeds (bench/runs/2026-12.md).
    ``loss`` scores a weight vector on validation (the primary metric, original units)."""
    greedy = pooled_greedy(len(members.networks), len(members.names), loss, rounds)
    n_net = len(members.networks)
    if not members.classical:
        return greedy, f"greedy selection, {rounds} rounds"
    alone = np.eye(len(members.names))
    scores = {j: loss(alone[j]) for j in range(n_net, len(members.names))}
    finite = sorted((v, j) for j, v in scores.items() if np.isfinite(v))
    ranked = [j for _, j in finite[:EQUAL_BASELINES]]
    equal = np.zeros(len(members.names))
    parts = len(ranked) + (1 if n_net else 0)
    equal[ranked] = 1.0 / parts
    if n_net:
        equal[:n_net] = 1.0 / parts / n_net
    weights = GREEDY_SHARE * greedy + (1.0 - GREEDY_SHARE) * equal
    names = " and ".join(members.names[j] for j in ranked)
    return weights, (f"half greedy selection (networks as one), half equal weights for the "
                     f"networks and {names}, the best validated baselines")


def pooled_greedy(networks: int, members: int, loss: Callable[[np.ndarray], float],
                  rounds: int = DEFAULT_ROUNDS) -> np.ndarray:
    """Greedy selection where the first ``networks`` members enter only together, as their
    equal mean (the final model's own ensemble), so it cannot pick a trial that was lucky on
    validation; ``loss`` scores the full weight vector."""
    if networks <= 1:
        return greedy_weights(members, loss, rounds)

    def expand(pooled: np.ndarray) -> np.ndarray:
        return np.r_[np.full(networks, pooled[0] / networks), pooled[1:]]

    return expand(greedy_weights(members - networks + 1, lambda w: loss(expand(w)), rounds))


def _validation_forecast(members: _Members, data: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The validation forecasts (original units) of the blend that ``weights`` make, formed
    as it is served: the networks' weighted mean mapped to original units, then the rest."""
    val, n_net = data.splits["validation"], len(members.networks)
    classical, zero = list(members.classical.values()), np.zeros_like(data.actual("validation"))

    def forecast(weights: np.ndarray) -> np.ndarray:
        out = sum((w * c for w, c in zip(weights[n_net:], classical, strict=True)), zero)
        net = float(weights[:n_net].sum())
        if net > 0:
            mean = sum(w * p for w, p in zip(weights[:n_net], members.networks, strict=True))
            out = out + net * data.inverse_target(mean / net, val.index)
        return np.asarray(out, dtype=np.float64)

    return forecast


def _validation_loss(forecast: Callable[[np.ndarray], np.ndarray],
                     data: Any) -> Callable[[np.ndarray], float]:
    """The primary metric of the blend that ``weights`` make on the validation split."""
    actual, name = data.actual("validation"), _metric_name(data)
    return lambda weights: forecast_metrics(actual, forecast(weights))[name]


def _assemble(final: FinalModel, members: _Members, weights: np.ndarray, network: keras.Model,
              forecast: np.ndarray, report: Baselines, rule: str, notes: list[str]) -> Blend:
    n_net = len(members.networks)
    shown = {name: float(w) for name, w in zip(members.names, weights, strict=True) if w > 0}
    classical = [{"name": name, "label": report.forecasts[name].label, "weight": float(w),
                  "model": to_spec(report.forecasts[name].model)}
                 for name, w in zip(members.classical, weights[n_net:], strict=True) if w > 0]
    net_weight = float(weights[:n_net].sum())
    parts = ", ".join(f"{name} {w:.2f}" for name, w in shown.items())
    description = (f"blend of networks ({final.description}) and classical baselines, weights "
                   f"chosen on the validation split ({rule}): {parts}")
    return Blend(network, net_weight, shown, classical, np.asarray(forecast, dtype=np.float64),
                 description, notes, rule)


def _validation_members(final: FinalModel, tuner: Any, data: Any, report: Baselines,
                        budget_s: float) -> tuple[_Members, list[str]]:
    """Each trial's checkpoint and each baseline entry fitted on the training rows only,
    forecasting the validation windows."""

    val = data.splits["validation"]
    networks = [tuner.load_model(trial).predict(val.x, verbose=0) for trial in final.trials]
    start = data.split_rows["validation"][0]
    fitted, notes = classical_forecasts(data.series, start, val.index, data.horizon, data.season,
                                        budget_s=budget_s, transform=data.transform.kind)
    served = report.forecasts
    classical: dict[str, np.ndarray] = {}
    for forecast in fitted:
        if forecast.name not in served:
            continue
        try:
            to_spec(served[forecast.name].model)
        except ValueError:
            continue
        classical[forecast.name] = forecast.predictions
    names = [*final.members, *classical]
    return _Members(names, networks, classical), [f"blend: {note}" for note in notes]


def _member_arrays(final: FinalModel, members: _Members, data: Any, report: Baselines,
                   weights: np.ndarray) -> dict[str, np.ndarray]:
    """Each member's validation and test forecasts in original units; a trial's test forecast
    is the mean of its served copies."""
    val, test, copies = data.splits["validation"], data.splits["test"], _copies(final)
    val_net = [data.inverse_target(p, val.index) for p in members.networks]
    test_net = [data.inverse_target(np.mean([m.predict(test.x, verbose=0) for m in
                                             final.networks[j * copies:(j + 1) * copies]],
                                            axis=0), test.index)
                for j in range(len(members.networks))]
    return {"names": np.asarray(members.names),
            "is_network": np.arange(len(members.names)) < len(members.networks),
            "validation": np.stack([*val_net, *members.classical.values()]).astype(np.float64),
            "test": np.stack([*test_net, *(report.forecasts[n].predictions
                                           for n in members.classical)]).astype(np.float64),
            "actual_validation": np.asarray(data.actual("validation"), dtype=np.float64),
            "actual_test": np.asarray(data.actual(), dtype=np.float64),
            "weights": np.asarray(weights, dtype=np.float64)}


def _copies(final: FinalModel) -> int:
    """Networks per trial (``final_model.seeds``)."""
    return max(1, len(final.networks) // max(1, len(final.trials)))


def _metric_name(data: Any) -> str:
    """The data's primary metric, or RMSE where it is undefined (MAPE at a true 0)."""
    actual = data.actual("validation")
    return data.primary_metric if data.primary_metric in forecast_metrics(actual, actual) \
        else "rmse"


def weighted(models: list[keras.Model], weights: np.ndarray) -> keras.Model:
    """One Keras model whose output is ``sum_i weights[i] * models[i](x)`` (same input)."""
    kept = [(m, float(w)) for m, w in zip(models, weights, strict=True) if w > 0]
    if len(kept) == 1 and kept[0][1] == 1.0:
        return kept[0][0]
    inputs = keras.Input(shape=models[0].input_shape[1:], name="window")
    parts = []
    unique = len({member.name for member, _ in kept}) == len(kept)
    for index, (member, weight) in enumerate(kept):
        if not unique:  # several members share a config (``average`` names them otherwise)
            member.name = f"member_{index}"
        parts.append(keras.layers.Rescaling(weight, name=f"weight_{index}")(member(inputs)))
    out = parts[0] if len(parts) == 1 else keras.layers.Add(name="weighted_sum",
                                                            dtype="float32")(parts)
    model = keras.Model(inputs, out, name=f"weighted_mean_of_{len(parts)}")
    model.compile(optimizer="adam", loss="mse")  # compiled, so it saves like a member
    return model


__all__ = ["Blend", "build_blend", "weighted"]
