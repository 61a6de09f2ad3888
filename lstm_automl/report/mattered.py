"""What mattered in a sweep, in two pictures: the hyperparameters' importances (report/
importance.py) and a parallel-coordinates view of every scored trial.

Pruned trials take part with the best score they reached before they stopped, and are drawn
dashed; a sweep with too few scored trials gets no importance picture (the report says why).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lstm_automl.report.figures import numeric_searched, objective_units
from lstm_automl.report.importance import Feature, Mattered, value_of, what_mattered
from lstm_automl.tracking.read_back import Sweep

MAX_BARS = 15
MAX_AXES = 10  # parallel coordinates beyond this many axes stop being readable


def mattered_figures(sweep: Sweep, found: Mattered | None = None) -> dict[str, Figure | None]:
    """``hyperparameter_importance`` and ``parallel_coordinates`` (None where not drawable)."""
    found = found or what_mattered(sweep)
    return {"hyperparameter_importance": importance_figure(sweep, found),
            "parallel_coordinates": parallel_coordinates(sweep, found)}


def _trials_note(found: Mattered) -> str:
    pruned = found.pruned
    note = f"{len(found.trials)} scored trials"
    if pruned:
        note += f", {pruned} of them pruned (scored with the best they reached before stopping)"
    return note


def importance_figure(sweep: Sweep, found: Mattered) -> Figure | None:
    """Horizontal bars: each hyperparameter's share of the objective's variance, with the
    spread over the forest's trees; None when ``found`` gives no importance."""
    if found.reason or not found.shares:
        return None
    ranked = found.ranked[:MAX_BARS]
    labels = [f.label for f, _ in ranked][::-1]
    shares = [100 * s for _, s in ranked][::-1]
    spread = [100 * found.spread[f.key] for f, _ in ranked][::-1]
    fig = Figure(figsize=(8.5, 1.2 + 0.42 * len(ranked)), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.barh(labels, shares, xerr=spread, color="#4c78a8", ecolor="#9aa3b2", capsize=3,
                   label="first-order share (bar), spread over 64 trees (whisker)")
    for bar, value in zip(bars, shares, strict=True):
        ax.text(bar.get_width() + 0.8, bar.get_y() + bar.get_height() / 2, f"{value:.0f}%",
                va="center", fontsize=9)
    ax.set_xlim(0, min(100, max(shares) * 1.25 + 5))
    target = f"log10 {sweep.objective}" if found.log_score else sweep.objective
    ax.set_xlabel(f"share of the variance of {target} explained by the hyperparameter alone (%)")
    ax.set_ylabel("hyperparameter")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.suptitle(f"What mattered in sweep '{sweep.name}': hyperparameter importance (fANOVA)")
    ax.set_title(f"{_trials_note(found)}; interactions between hyperparameters: "
                 f"{100 * found.interactions:.0f}%", fontsize=9, color="#444444")
    return fig


def axis_features(sweep: Sweep, found: Mattered) -> list[Feature]:
    """The axes: most important first when importances exist, else numeric values first."""
    if found.shares:
        return [f for f, _ in found.ranked][:MAX_AXES]
    order = numeric_searched(found.trials)
    rank = {k: i for i, k in enumerate(order)}
    return sorted(found.features, key=lambda f: (rank.get(f.key, len(rank)), f.key))[:MAX_AXES]


def parallel_coordinates(sweep: Sweep, found: Mattered) -> Figure | None:
    """One vertical axis per varied hyperparameter and one for the objective; one line per
    scored trial, coloured by its score; the champion thick, pruned trials dashed."""
    trials, features = found.trials, axis_features(sweep, found)
    if len(trials) < 2 or not features:
        return None
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize

    scores = np.array([float(t.score or 0.0) for t in trials])
    wide = bool(scores.min() > 0 and scores.max() / scores.min() > 10)
    low, high = float(scores.min()), float(scores.max())
    if wide:
        norm: Any = LogNorm(low, high)
        place = (np.log10(scores) - math.log10(low)) / max(math.log10(high / low), 1e-12)
    else:
        norm = Normalize(low, high if high > low else low + 1)
        place = (scores - low) / (high - low) if high > low else np.full(len(scores), 0.5)
    cmap = colormaps["viridis" if not sweep.minimise else "viridis_r"]
    columns = len(features) + 1
    fig = Figure(figsize=(max(7.5, 1.35 * columns + 2.5), 5.6), layout="constrained")
    ax = fig.add_subplot()
    champion = sweep.champion
    order = np.argsort(place if not sweep.minimise else -place)  # best drawn last, on top
    for index in order:
        trial = trials[index]
        ys = [f.position(value_of(trial, f.key)) for f in features] + [float(place[index])]
        best = champion is not None and trial.run_id == champion.run_id
        if best:  # a dark outline: the champion reads whatever its colour
            ax.plot(range(columns), ys, color="black", linewidth=5.0, zorder=3)
        ax.plot(range(columns), ys, color=cmap(norm(scores[index])),
                linewidth=3.2 if best else 1.4, alpha=1.0 if best else 0.8,
                linestyle="--" if trial.status == "pruned" else "-",
                marker="o", markersize=4, zorder=4 if best else 2)
    for column, feature in enumerate(features):
        _draw_axis(ax, column, feature.ticks())
    ticks = np.linspace(low, high, 3) if not wide else np.geomspace(low, high, 3)
    _draw_axis(ax, columns - 1, [(float(norm(v)), f"{v:.3g}") for v in ticks])
    ax.set_xticks(range(columns), [f.label for f in features] +
                  [f"{sweep.objective}\n({objective_units(sweep)})"], rotation=20, ha="right")
    ax.set_xlim(-0.4, columns - 0.6)
    ax.set_ylim(-0.04, 1.04)
    ax.set_yticks([])
    ax.set_xlabel("hyperparameter (most important first, where importances were computed)")
    ax.set_ylabel("value on each axis ('off': inactive)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    bar = fig.colorbar(_mappable(norm, cmap), ax=ax, pad=0.01, shrink=0.85)
    bar.set_label(f"{sweep.objective} ({'lower' if sweep.minimise else 'higher'} is better)")
    handles = [Line2D([], [], color="#555555", label="completed trial"),
               Line2D([], [], color="#555555", linestyle="--", label="pruned trial (best score "
                      "before it stopped)")]
    if champion is not None:
        handles.append(Line2D([], [], color="#555555", linewidth=3.2,
                              label=f"champion: {champion.name}"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3,
              fontsize=8, frameon=False)
    fig.suptitle(f"Sweep '{sweep.name}': every scored trial across its hyperparameters")
    ax.set_title(_trials_note(found), fontsize=9, color="#444444")
    return fig


def _draw_axis(ax: Any, column: int, ticks: list[tuple[float, str]]) -> None:
    ax.axvline(column, color="#6b7280", linewidth=1.0, zorder=1)
    for y, text in ticks:
        ax.text(column + 0.04, y, text, fontsize=7.5, va="center", ha="left", color="#1d2330",
                zorder=4, bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none",
                                "pad": 0.6})


def _mappable(norm: Any, cmap: Any) -> Any:
    from matplotlib.cm import ScalarMappable

    mappable = ScalarMappable(norm=norm, cmap=cmap)
    mappable.set_array([])
    return mappable
