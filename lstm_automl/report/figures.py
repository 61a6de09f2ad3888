"""The sweep's pictures, drawn from what MLflow recorded (matplotlib, no pyplot, no display).

``matplotlib.figure.Figure`` is used directly, never pyplot: no global figure registry to leak,
no GUI backend to pick, safe in a tuner process and in a headless CI job.
"""

from __future__ import annotations

import io
import math
import tempfile
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from lstm_automl.config.names import higher_is_better
from lstm_automl.config.params import split_layer_key
from lstm_automl.report.leaderboard import base_key, metric_text, outcome
from lstm_automl.tracking.read_back import Sweep, Trial, parse_value

CELL_COLOURS = {"lstm": "#1f77b4", "gru": "#ff7f0e", "peephole": "#2ca02c",
                "simple_rnn": "#d62728"}
CELL_ORDER = ("lstm", "gru", "peephole", "simple_rnn")
MARKERS = {False: "o", True: "^"}
DIRECTION_LABEL = {False: "unidirectional", True: "bidirectional"}
_UNITS_HINTS = {"learning_rate": "step size", "dropout": "fraction of inputs",
                "recurrent_dropout": "fraction", "batch_size": "windows per step",
                "layers": "recurrent layers", "units": "cells per layer",
                "dense_units": "neurons", "dense_layers": "layers", "conv_filters": "filters",
                "conv_kernel_size": "time steps", "clipnorm": "gradient norm"}
DPI = 110


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (for embedding in the HTML report)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def objective_units(sweep: Sweep) -> str:
    """What the objective's numbers are measured in, for axis labels."""
    if higher_is_better(sweep.objective):  # the maximised metrics are all fractions
        return "fraction"
    params = sweep.params
    target = params.get("data.target") or "target"
    steps = [t for t in (params.get("data.transform"),) if t and t != "none"]
    scaling = params.get("data.scaling")
    if scaling and scaling not in ("none", "None"):
        steps.append(f"{scaling}-scaled")
    return f"{' '.join(steps)} {target}" if steps else f"original units of {target}"


def _better(sweep: Sweep) -> str:
    return "lower is better" if sweep.minimise else "higher is better"


def _colour(cell: str) -> str:
    return CELL_COLOURS.get(cell, "#7f7f7f")


def validation_curves(client: Any, sweep: Sweep) -> Figure | None:
    """The objective per epoch of every trial on one chart; the champion drawn thickest."""
    curves: list[tuple[Trial, list[int], list[float]]] = []
    for trial in sweep.ranked():
        history = sorted(client.get_metric_history(trial.run_id, sweep.objective),
                         key=lambda m: m.step)
        points = [(m.step + 1, m.value) for m in history if math.isfinite(m.value)]
        if points:
            curves.append((trial, [p[0] for p in points], [p[1] for p in points]))
    if not curves:
        return None
    champion = sweep.champion
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    palette = _palette(len(curves))
    shown = 10 if len(curves) > 12 else len(curves)  # the rest: thin grey, one legend entry
    for index, (trial, steps, values) in enumerate(curves):
        best = champion is not None and trial.run_id == champion.run_id
        label = trial.name + (" (champion)" if best else " (failed)"
                              if trial.status == "failed" else "")
        colour = "black" if best else palette[index]
        if index >= shown and not best:
            label = "_other" if index > shown else f"{len(curves) - shown} more trials"
            colour = "#b0b0b0"
        ax.plot(steps, values, color=colour,
                linewidth=2.8 if best else 1.4, alpha=1.0 if best else 0.85,
                linestyle="--" if trial.status == "failed" else "-",
                marker=MARKERS[trial.bidirectional] if len(steps) <= 30 else None,
                markersize=5, label=label, zorder=3 if best else 2)
    _log_if_wide(ax, [v for _, _, vs in curves for v in vs])
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{sweep.objective} ({objective_units(sweep)})")
    ax.set_title(f"Validation curves of sweep '{sweep.name}': {sweep.objective} per epoch, "
                 f"{len(curves)} trials ({_better(sweep)})")
    epochs = max(max(s) for _, s, _ in curves)
    if epochs <= 12:
        ax.set_xticks(range(1, epochs + 1))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="trial (▲ bidirectional)", title_fontsize=8)
    return fig


def _log_if_wide(ax: Any, values: list[float]) -> None:
    """Log y when the values span more than a decade: bad trials would flatten the good ones."""
    if values and min(values) > 0 and max(values) / min(values) > 10:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def _palette(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


def objective_by_cell(sweep: Sweep) -> Figure | None:
    """The objective by cell family, unidirectional and bidirectional side by side."""
    scored = [t for t in sweep.trials if t.status == "completed" and t.score is not None]
    if not scored:
        return None
    families = [c for c in CELL_ORDER if any(t.cell == c for t in sweep.trials)]
    families += sorted({t.cell for t in sweep.trials} - set(families))
    champion = sweep.champion
    fig = Figure(figsize=(max(6.5, 1.9 * len(families) + 3), 5), layout="constrained")
    ax = fig.add_subplot()
    for x, family in enumerate(families):
        mine = [t for t in scored if t.cell == family]
        if len(mine) >= 3:
            ax.boxplot([float(t.score or 0.0) for t in mine], positions=[x], widths=0.6,
                       showfliers=False, patch_artist=True, zorder=1,
                       boxprops={"facecolor": _colour(family), "alpha": 0.15},
                       medianprops={"color": _colour(family)})
        for bi, offset in ((False, -0.14), (True, 0.14)):
            group = sorted((t for t in mine if t.bidirectional == bi), key=lambda t: t.run_id)
            jitter = [offset + 0.05 * ((i % 5) - 2) / 2 for i in range(len(group))]
            ax.scatter([x + j for j in jitter], [float(t.score or 0.0) for t in group], s=55,
                       marker=MARKERS[bi], color=_colour(family),
                       edgecolors="black" if bi else "white", linewidths=0.8, zorder=3)
            if champion is not None:
                for j, t in zip(jitter, group, strict=True):
                    if t.run_id == champion.run_id:
                        ax.scatter([x + j], [float(t.score or 0.0)], s=260, marker="*",
                                   color="gold", edgecolors="black", linewidths=0.8, zorder=4)
    _log_if_wide(ax, [float(t.score) for t in scored if t.score is not None])
    ax.set_xticks(range(len(families)), [_family_tick(f, sweep) for f in families])
    ax.set_xlim(-0.6, len(families) - 0.4)
    ax.set_xlabel("cell family")
    ax.set_ylabel(f"best {sweep.objective} of the trial ({objective_units(sweep)})")
    ax.set_title(f"{sweep.objective} by cell family ({_better(sweep)})")
    ax.grid(True, axis="y", alpha=0.3)
    handles = [Line2D([], [], marker=MARKERS[b], linestyle="", color="#555555",
                      markeredgecolor="black" if b else "white", markersize=8,
                      label=DIRECTION_LABEL[b]) for b in (False, True)]
    if champion is not None:
        handles.append(Line2D([], [], marker="*", linestyle="", color="gold",
                              markeredgecolor="black", markersize=14,
                              label=f"champion: {champion.name}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=9)
    return fig


def _family_tick(family: str, sweep: Sweep) -> str:
    mine = [t for t in sweep.trials if t.cell == family]
    failed = sum(t.status == "failed" for t in mine)
    bi = sum(t.bidirectional for t in mine)
    extra = f", {failed} failed" if failed else ""
    return f"{family}\n{len(mine)} trials ({bi} bi{extra})"


def numeric_searched(trials: list[Trial]) -> list[str]:
    """Params with at least two distinct numeric values across the trials (booleans excluded),
    in a stable, readable order; per-layer params keep one panel per layer."""
    found: dict[str, set[float]] = {}
    for trial in trials:
        for key, raw in trial.params.items():
            value = parse_value(raw)
            if key.startswith("tuner/") or isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                found.setdefault(key, set()).add(float(value))
    keys = [k for k, v in found.items() if len(v) > 1]
    order = list(_UNITS_HINTS)
    return sorted(keys, key=lambda k: (order.index(base_key(k)) if base_key(k) in order
                                       else len(order), k))


def objective_vs_hyperparameters(sweep: Sweep) -> Figure | None:
    """Small multiples: the objective against each searched numeric hyperparameter."""
    scored = [t for t in sweep.trials if t.status == "completed" and t.score is not None]
    keys = numeric_searched(scored)
    if not keys:
        return None
    cols = 2 if len(keys) == 4 else min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(4.2 * cols + 1.8, 3.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for index, key in enumerate(keys):
        ax = axes[index // cols][index % cols]
        points = [(float(parse_value(t.params[key])), t) for t in scored if key in t.params]
        for x, t in points:
            ax.scatter([x], [t.score], s=60, marker=MARKERS[t.bidirectional],
                       color=_colour(t.cell), edgecolors="black" if t.bidirectional else "white",
                       linewidths=0.8)
        xs = sorted({x for x, _ in points})
        log_x = xs[0] > 0 and (base_key(key) == "learning_rate" or (
            xs[-1] / xs[0] >= 30 and "dropout" not in key))
        if log_x:
            ax.set_xscale("log")
            decades = math.log10(xs[-1] / xs[0]) if len(xs) > 1 else 0.0
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0,) if decades > 2 else (1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
            ax.margins(x=0.08)
        elif all(x.is_integer() for x in xs) and len(xs) <= 8:
            ax.set_xticks(xs, [str(int(x)) for x in xs])
            pad = max(0.5, (xs[-1] - xs[0]) * 0.1)
            ax.set_xlim(xs[0] - pad, xs[-1] + pad)
        ax.set_xlabel(_param_label(key, log_x))
        ax.grid(True, alpha=0.3)
        if index % cols == 0:
            ax.set_ylabel(f"best {sweep.objective}\n({objective_units(sweep)})")
    _log_if_wide(axes[0][0], [float(t.score) for t in scored if t.score is not None])
    for index in range(len(keys), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    cells = [c for c in CELL_ORDER if any(t.cell == c for t in scored)]
    cells += sorted({t.cell for t in scored} - set(cells))
    handles = [Line2D([], [], marker="s", linestyle="", color=_colour(c), markersize=9, label=c)
               for c in cells]
    handles += [Line2D([], [], marker=MARKERS[b], linestyle="", color="#555555",
                       markeredgecolor="black" if b else "white", markersize=8,
                       label=DIRECTION_LABEL[b]) for b in (False, True)]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False,
               fontsize=9)
    fig.suptitle(f"{sweep.objective} against each searched numeric hyperparameter "
                 f"({_better(sweep)}; one point per completed trial)")
    return fig


def _param_label(key: str, log_x: bool = False) -> str:
    base = base_key(key)
    hint = _UNITS_HINTS.get(key) or _UNITS_HINTS.get(base)
    if log_x and (not hint or "log" not in hint):
        hint = f"{hint}, log scale" if hint else "log scale"
    split = split_layer_key(key)
    if split:
        hint = f"{hint or base}, layer {split[1] + 1}"
    return f"{key} ({hint})" if hint else key


def load_predictions(client: Any, sweep: Sweep) -> Any:
    """The champion's test predictions (``test_predictions.csv``) as a DataFrame, or None.

    Class labels stay text (a class named ``01`` is not the number 1); numeric columns of a
    forecast or regression are numbers.
    """
    import pandas as pd

    names = {a.path for a in client.list_artifacts(sweep.run_id)}
    if "test_predictions.csv" not in names:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(sweep.run_id, "test_predictions.csv", tmp)
        labels = {"label": str, "predicted": str}
        header = pd.read_csv(local, nrows=0).columns
        if any(c.startswith("p_") for c in header):  # classification: labels are class names
            return pd.read_csv(local, dtype={c: t for c, t in labels.items() if c in header},
                               keep_default_na=False)
        return pd.read_csv(local)


_MISSING = object()


def forecast_vs_actual(client: Any, sweep: Sweep, frame: Any = _MISSING) -> Figure | None:
    """The champion's one-step-ahead forecasts against the actual test values."""
    if frame is _MISSING:
        frame = load_predictions(client, sweep)
    if frame is None or not {"actual_h1", "predicted_h1"} <= set(frame.columns) or frame.empty:
        return None  # absent, or a task whose predictions are not a forecast
    horizon = sum(c.startswith("predicted_h") for c in frame.columns)
    x, x_label = time_axis(frame)
    target = sweep.params.get("data.target") or "target"
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, frame["actual_h1"], color="black", marker="o", markersize=4, linewidth=1.6,
            label="actual")
    champion = sweep.champion
    colour = _colour(champion.cell) if champion else "#1f77b4"
    ax.plot(x, frame["predicted_h1"], color=colour, marker="s", markersize=4, linewidth=1.6,
            linestyle="--", label="champion forecast, 1 step ahead")
    if horizon > 1 and len(frame) > horizon:  # windows are one step apart: the H-step
        shift = horizon - 1                     # forecast of row i lands on row i + H - 1
        ax.plot(x[shift:], frame[f"predicted_h{horizon}"].to_numpy()[:-shift], color=colour,
                alpha=0.55, linewidth=1.3, linestyle=":", marker="^", markersize=3,
                label=f"champion forecast, {horizon} steps ahead")
    result = outcome(sweep)
    scores = "champion on test: " + metric_text(result.test)
    if result.best_baseline and result.primary:
        base = result.baselines[result.best_baseline].get(result.primary)
        scores += f"\nstrongest baseline ({result.best_baseline}): {result.primary} {base:.4g}"
    name = champion.name if champion else "champion"
    fig.suptitle(f"Sweep '{sweep.name}', champion {name}: test-split forecast vs actual")
    ax.set_title(scores.replace("\n", "; "), fontsize=9, color="#444444")
    ax.set_xlabel(x_label)
    if x_label != "time (date)":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"{target} (original units)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=9,
              frameon=False)
    return fig


def time_axis(frame: Any) -> tuple[Any, str]:
    """Real times where the column parses (numbers or dates), else the row number."""
    import pandas as pd

    if "time" in frame.columns:
        column = frame["time"]
        if pd.api.types.is_numeric_dtype(column):
            return column.to_numpy(), "time"
        try:
            return pd.to_datetime(column.astype(str), format="mixed").to_numpy(), "time (date)"
        except (ValueError, TypeError):
            pass
    rows = frame["row"] if "row" in frame.columns else frame.index
    return np.asarray(rows), "row of the series"


def confusion_counts(frame: Any) -> tuple[list[str], np.ndarray, str] | None:
    """Class names, counts (rows: true class, columns: predicted) and what was counted, from
    ``test_predictions.csv``; None when the predictions are not class labels.

    One label per sequence: columns ``label``, ``predicted`` and ``p_CLASS`` (which give the
    classes in the model's order, absent ones included). One label per position (the copy
    task): ``label_K``/``predicted_K``, every position pooled. One label per step (``task:
    label``): one row per real test step, with its ``case`` and ``step``.
    """
    if frame is None or frame.empty:
        return None
    columns = list(frame.columns)
    if {"label", "predicted"} <= set(columns):
        classes = [c.removeprefix("p_") for c in columns if c.startswith("p_")]
        if not classes:
            return None  # a regression's "actual"/"predicted" never gets here; be safe anyway
        true = frame["label"].astype(str).tolist()
        guess = frame["predicted"].astype(str).tolist()
        what = (f"{len(true)} test steps of {frame['case'].nunique()} sequences"
                if "step" in columns and "case" in columns else f"{len(true)} test sequences")
    else:
        positions = sorted(int(c.removeprefix("label_")) for c in columns
                           if c.startswith("label_") and c.removeprefix("label_").isdigit()
                           and f"predicted_{c.removeprefix('label_')}" in columns)
        if not positions:
            return None
        true = [str(v) for k in positions for v in frame[f"label_{k}"].tolist()]
        guess = [str(v) for k in positions for v in frame[f"predicted_{k}"].tolist()]
        found = set(true) | set(guess)
        classes = sorted(found, key=lambda v: (not v.lstrip("-").isdigit(),
                                               int(v) if v.lstrip("-").isdigit() else 0, v))
        what = f"{len(frame)} test sequences x {len(positions)} positions"
    for extra in dict.fromkeys(true + guess):  # a label missing from the p_ columns
        if extra not in classes:
            classes.append(extra)
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for t, g in zip(true, guess, strict=True):
        counts[index[t], index[g]] += 1
    return classes, counts, what


def confusion_matrix(sweep: Sweep, frame: Any) -> Figure | None:
    """The champion's confusion matrix on the test split: counts in the cells, each row shaded
    by the share of its true class (so rare classes read as clearly as common ones)."""
    found = confusion_counts(frame)
    if found is None:
        return None
    classes, counts, what = found
    n = len(classes)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float),
                      where=totals > 0)
    side = min(13.0, max(5.2, 0.62 * n + 3.2))
    fig = Figure(figsize=(side + 1.4, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, shrink=0.82, pad=0.02)
    bar.set_label("share of the true class (row)")
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    shown = [c if len(c) <= 14 else c[:13] + "…" for c in classes]
    ax.set_xticks(range(n), shown, rotation=45 if max(map(len, shown)) > 3 or n > 12 else 0,
                  ha="right" if max(map(len, shown)) > 3 or n > 12 else "center")
    ax.set_yticks(range(n), shown)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if n <= 30:  # beyond that the numbers would not fit; the shading still reads
        size = 11 if n <= 6 else 9 if n <= 12 else 7
        for i in range(n):
            for j in range(n):
                text = str(counts[i, j])
                if n <= 12 and counts[i, j]:
                    text += f"\n{share[i, j]:.0%}"
                colour = ("white" if share[i, j] > 0.55 else "#1d2330" if counts[i, j]
                          else "#9aa3b2")
                ax.text(j, i, text, ha="center", va="center", fontsize=size, color=colour,
                        fontweight="bold" if i == j else "normal")
    ax.set_xticks(np.arange(-0.5, n, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    correct = int(np.trace(counts))
    total = int(counts.sum())
    result = outcome(sweep)
    accuracy = result.test.get("accuracy", correct / total if total else float("nan"))
    line = f"test accuracy {accuracy:.3f} ({correct} of {total} right; {what})"
    if "macro_f1" in result.test:
        line += f", macro-F1 {result.test['macro_f1']:.3f}"
    base = result.baselines.get(result.best_baseline or "", {}).get("accuracy")
    if base is not None:
        line += f"\nstrongest baseline ({result.best_baseline}): accuracy {base:.3f}"
    champion = sweep.champion
    name = champion.name if champion else "champion"
    source = sweep.params.get("data.source")
    data = f" on {source}" if source else ""
    fig.suptitle(f"Sweep '{sweep.name}'{data}, champion {name}:\nconfusion matrix on the "
                 f"test split")
    ax.set_title(line, fontsize=9, color="#444444")
    return fig
