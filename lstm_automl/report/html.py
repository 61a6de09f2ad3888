"""One self-contained HTML page per sweep: inline CSS, pictures as base64 PNG, no external URL,
so it opens offline and can be mailed or attached to a CI job as a single file.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import tempfile
from pathlib import Path
from typing import Any

from lstm_automl.console import fmt_value as fmt
from lstm_automl.report.leaderboard import (
    attempts_note,
    blend_lines,
    build_rows,
    headers,
    lift_sentence,
    outcome,
    parse_value,
    registered_version,
    row_cells,
)
from lstm_automl.tracking.read_back import Sweep
from lstm_automl.tracking.ui_link import experiment_url, ui_command
from lstm_automl.version import __version__

CAPTIONS = {
    "validation_curves": "The objective on the validation split after every epoch, one line per "
                         "trial; the champion is the thick black line, triangles mark "
                         "bidirectional trials.",
    "objective_by_cell": "Each trial's best objective grouped by recurrent cell family; "
                         "circles are unidirectional, triangles bidirectional, the star is the "
                         "champion.",
    "objective_vs_hyperparameters": "Each trial's best objective against every numeric value "
                                    "that was searched (colour: cell family).",
    "hyperparameter_importance": "How much of the objective's variation each hyperparameter "
                                 "explains on its own (a functional ANOVA of a forest of trees "
                                 "fitted to the trials); the rest comes from hyperparameters "
                                 "acting together.",
    "parallel_coordinates": "Every scored trial as one line across its hyperparameters and its "
                            "objective (colour: the objective; dashed: pruned; thick: the "
                            "champion).",
    "forecast_vs_actual": "The champion's forecasts on the test split, which no trial saw "
                          "during the search, against what happened.",
    "confusion_matrix": "The champion's predictions on the test split, which no trial saw "
                        "during the search: one row per true class, one column per predicted "
                        "class; the diagonal holds the correct predictions, the shading is the "
                        "share of each true class.",
}

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;
 margin:0;background:#f4f6f9}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:30px 0 10px;border-bottom:2px solid
 #e3e7ee;padding-bottom:4px}.meta{color:#5b6475;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:12px;
 margin-top:16px}.card{border:1px solid #e3e7ee;border-radius:8px;padding:10px 14px}
.card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;
 color:#5b6475}.card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;
 font-size:14px}.card dt{color:#5b6475}
.card dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.verdict{margin:18px 0 0;padding:12px 16px;border-radius:8px;font-weight:600}
.good{background:#e6f4ea;border:1px solid #9ad1a8;color:#14532d}
.bad{background:#fdecea;border:1px solid #f1a7a0;color:#7f1d1d}
.unknown{background:#fff7e0;border:1px solid #f0d58c;color:#6b4e00}
table{border-collapse:collapse;font-size:13px;margin:6px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #e3e7ee;text-align:left;white-space:nowrap}
th{background:#f0f3f7;position:sticky;top:0}td.n,th.n{text-align:right}
tr.champion td{background:#fff8d6;font-weight:600}tr.failed td{color:#9a3412}
td.why{white-space:normal;max-width:340px}.scroll{overflow-x:auto}
pre{background:#f6f8fa;border:1px solid #e3e7ee;border-radius:6px;padding:10px;
 font-size:13px;overflow-x:auto}figure{margin:18px 0 26px}figure img{max-width:100%;
 border:1px solid #e3e7ee;border-radius:6px}figcaption{color:#5b6475;font-size:13px}
.params{columns:3 220px;column-gap:24px;font-size:14px;margin:6px 0}
.params div{break-inside:avoid;padding:2px 0;border-bottom:1px solid #eef1f5}
.params span{color:#5b6475;display:inline-block;min-width:140px}
footer{margin-top:36px;color:#8a93a5;font-size:12px}
"""


def report_html(client: Any, sweep: Sweep, figures: dict[str, Any] | None = None,
                tracking_uri: str = "") -> str:
    """The whole page as a string; ``figures`` (name → Figure) default to ``sweep_figures``;
    ``tracking_uri`` (as users type it) gives the link to the sweep's runs in the MLflow UI."""
    from lstm_automl.report.figures import png_bytes  # defers matplotlib
    from lstm_automl.report.pictures import sweep_figures  # defers matplotlib

    if figures is None:
        figures = sweep_figures(client, sweep.run_id)
    texts = _texts(client, sweep.run_id, ("search_space.txt", "sweep.yaml", "summary.json"))
    registered = registered_version(client, sweep)
    parts = [
        _header(sweep), _ui_link(sweep, tracking_uri), _cards(sweep, registered),
        _verdict(sweep),
        _section("Test split: champion against the baselines (strongest marked)",
                 _test_table(sweep)),
        _section("Champion's hyperparameters",
                 _best_values(sweep, _summary(texts.get("summary.json")))),
        _section("Leaderboard", _leaderboard(sweep)),
        _section("What mattered", _mattered(sweep)),
        _section("Pictures", "".join(_figure(n, png_bytes(f)) for n, f in figures.items())
                 or "<p>No pictures: no trial recorded a score.</p>"),
        _section("Search space", f"<pre>{_e(texts.get('search_space.txt', 'not recorded'))}"
                                 f"</pre>"),
        _section("Sweep file", f"<details><summary>sweep.yaml as run</summary><pre>"
                               f"{_e(texts.get('sweep.yaml', 'not recorded'))}</pre></details>"),
        f"<footer>Written by lstm-sweep {__version__} on "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC from MLflow run "
        f"{_e(sweep.run_id)}.</footer>",
    ]
    for figure in figures.values():
        figure.clear()
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>lstm-sweep report: {_e(sweep.name)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _texts(client: Any, run_id: str, names: tuple[str, ...]) -> dict[str, str]:
    """Small text artifacts of the run; a missing one is simply absent."""
    present = {a.path for a in client.list_artifacts(run_id)}
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if name in present:
                local = client.download_artifacts(run_id, name, tmp)
                found[name] = Path(local).read_text(encoding="utf-8", errors="replace")
    return found


def _when(millis: int | None) -> str:
    if not millis:
        return "-"
    return f"{dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


def _header(sweep: Sweep) -> str:
    info = sweep.run.info
    took = ""
    if info.end_time and info.start_time:
        seconds = (info.end_time - info.start_time) / 1000
        took = f"; took {int(seconds // 60)} min {seconds % 60:.0f} s"
    return (f"<h1>Sweep '{_e(sweep.name)}'</h1><div class=\"meta\">experiment "
            f"'{_e(sweep.experiment_name)}' · run {_e(sweep.run_id)} · {_e(info.status)} · "
            f"started {_when(info.start_time)}{took}</div>")


def _ui_link(sweep: Sweep, tracking_uri: str) -> str:
    """Where to see the runs in the MLflow UI (its model-training view, not the GenAI one): the
    page's one link out, a plain navigation link that loads nothing."""
    if not tracking_uri:
        return ""
    url = experiment_url(tracking_uri, str(sweep.run.info.experiment_id))
    command = ui_command(tracking_uri)
    start = f" (start it with <code>{_e(command)}</code>)" if command else ""
    return (f"<div class=\"meta\">MLflow UI: <a class=\"mlflow-ui\" href=\"{_e(url)}\">"
            f"{_e(url)}</a>{start}</div>")


def _dl(pairs: list[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs
                            if v not in (None, "")) + "</dl>"


def _cards(sweep: Sweep, registered: tuple[str, str, bool] | None) -> str:
    p, m = sweep.params, sweep.metrics
    better = "lower" if sweep.minimise else "higher"
    done = sum(t.status == "completed" for t in sweep.trials)
    failed = sum(t.status == "failed" for t in sweep.trials)
    pruned = sum(t.status == "pruned" for t in sweep.trials)
    retried = len({t.trial_id for t in sweep.superseded})
    # max_trials: the tag follows an extended sweep; the param keeps the first value
    budget = sweep.tags.get("lstm_sweep.max_trials") or p.get("max_trials")
    search = _dl([("objective", f"{sweep.objective} ({better} is better)"),
                  ("algorithm", p.get("algorithm")), ("max trials", budget),
                  ("trials", f"{done} completed, " + (f"{pruned} pruned, " if pruned else "")
                   + f"{failed} failed, {len(sweep.trials)} in all"
                   + (f" ({retried} retried)" if retried else "")),
                  ("epochs", p.get("epochs")), ("early stop", p.get("early_stopping_patience")),
                  ("seed", p.get("seed"))])
    splits = [(name, f"{p.get(f'data.{name}_rows', '?')} rows"
               + (f", {p[f'data.{name}_range']}" if f"data.{name}_range" in p else ""))
              for name in ("train", "validation", "test") if f"data.{name}_rows" in p]
    data = _dl([("source", p.get("data.source")), ("task", sweep.tags.get("task")),
                ("target", p.get("data.target")), ("features", p.get("data.features")),
                ("lookback", p.get("data.lookback")), ("horizon", p.get("data.horizon")),
                ("transform", p.get("data.transform")), ("scaling", p.get("data.scaling")),
                *splits])
    champion = sweep.champion
    model = "not registered"
    if registered is not None:
        name, version, is_champion = registered
        model = f"'{name}' version {version}" + (" (alias 'champion')" if is_champion else
                                                  " (not the registry's champion)")
    best = _dl([("trial", champion.name if champion else "-"),
                (f"best {sweep.objective}", fmt(champion.score) if champion else "-"),
                ("registered", model),
                ("load with", f"mlflow.pyfunc.load_model('models:/{registered[0]}@champion')"
                 if registered and registered[2] else None),
                ("test " + (outcome(sweep).primary or ""),
                 _num(m.get(f"test_{outcome(sweep).primary}")))])
    return ("<div class=\"cards\">"
            f"<div class=\"card\"><h3>Search</h3>{search}</div>"
            f"<div class=\"card\"><h3>Data</h3>{data}</div>"
            f"<div class=\"card\"><h3>Champion</h3>{best}</div></div>")


def _verdict(sweep: Sweep) -> str:
    result = outcome(sweep)
    css = {True: "good", False: "bad", None: "unknown"}[result.beats_baselines]
    extra = "".join(f"<br><span style=\"font-weight:400\">{_e(line)}</span>"
                    for line in blend_lines(result))
    return f"<div class=\"verdict {css}\">{_e(lift_sentence(result))}{extra}</div>"


def _test_table(sweep: Sweep) -> str:
    result = outcome(sweep)
    if not result.test:
        return (f"<p>No test metrics: the sweep run is {_e(sweep.run.info.status)}; a finished "
                f"sweep evaluates its champion once on the test split.</p>")
    names = list(result.test)
    rows = [("champion " + (sweep.champion.name if sweep.champion else ""), result.test)]
    rows += [(f"baseline: {n}" + (f" ({result.labels[n]})" if result.labels.get(n) else "")
              + (" (strongest)" if n == result.best_baseline else ""), v)
             for n, v in result.baselines.items()]
    head = "".join(f"<th class=\"n\">{_e(n)}{' (%)' if n == 'mape' else ''}</th>" for n in names)
    body = ""
    for label, values in rows:
        cls = " class=\"champion\"" if label.startswith("champion") else ""
        cells = "".join(f"<td class=\"n\">{_e(_num(values.get(n)))}</td>" for n in names)
        body += f"<tr{cls}><td>{_e(label)}</td>{cells}</tr>"
    task = sweep.tags.get("task", "forecast")
    note = ("<p class=\"meta\">Errors in the original units of the target (mape in %); lower "
            "is better.</p>" if task == "forecast" else _DETECT_NOTE if task == "detect" else "")
    return f"<table><tr><th>model</th>{head}</tr>{body}</table>{note}"


_DETECT_NOTE = (
    "<p class=\"meta\">Anomaly detection on the test steps, each detector with its own threshold "
    "chosen by the same rule on its validation scores; higher is better. f1, precision, recall: "
    "per step; event_recall: share of anomaly windows with a flag, event_f1 its harmonic mean "
    "with precision; range_*: range-based (Tatbul et al. 2018, alpha 0, flat bias); pa_f1: "
    "point-adjusted, which flatters (never used to choose). The verdict compares f1.</p>")


def _summary(text: str | None) -> dict[str, Any]:
    """``summary.json`` as a dict; empty when absent or unreadable."""
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def champion_values(sweep: Sweep, summary: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The current champion's name and hyperparameters.

    Not the parent run's ``best.*`` params: MLflow params cannot change, so after a sweep is
    resumed or extended and a new trial wins they still hold the first winner's values. In
    order: ``summary.json`` (rewritten at every finish) when it names the champion, else the
    champion's own trial run, else ``best.*`` (an older store with nothing else).
    """
    champion = sweep.champion
    name = champion.name if champion is not None else summary.get("best_trial")
    best = summary.get("best_values")
    if isinstance(best, dict) and best and summary.get("best_trial") == name:
        return name, {k: v for k, v in best.items() if not k.startswith("tuner/")}
    if champion is not None and champion.params:
        return name, {k: parse_value(v) for k, v in champion.params.items()
                      if not k.startswith("tuner/")}
    stale = {k.removeprefix("best."): parse_value(v) for k, v in sweep.params.items()
             if k.startswith("best.")}
    return name, stale


def _best_values(sweep: Sweep, summary: dict[str, Any]) -> str:
    name, values = champion_values(sweep, summary)
    if not values:
        return "<p>Not recorded (the sweep did not finish).</p>"
    items = "".join(f"<div><span>{_e(k)}</span>{_e(fmt(v))}</div>"
                    for k, v in sorted(values.items()))
    who = f"<p class=\"meta\">{_e(name)}</p>" if name else ""
    return f"{who}<div class=\"params\">{items}</div>"


def _leaderboard(sweep: Sweep) -> str:
    rows, keys = build_rows(sweep)
    head = headers(sweep, keys)
    numeric = {"rank", "attempt", "depth", "epochs", "time", sweep.objective}
    short = {"bidirectional": "bi", "rank": "#"}  # keep the table within a laptop screen
    th = "".join(f"<th{' class=n' if h in numeric else ''}>{_e(short.get(h, h))}</th>"
                 for h in head)
    champion = sweep.champion
    body = ""
    failures = ""
    stopped = ""  # pruned, or cut by a time limit (tuning/pruning.py, tuning/budgets.py)
    for row in rows:
        cells = row_cells(row, keys, sweep.all_attempts)
        cells[-1] = row.status  # the reason goes below the table: it would stretch the row
        if row.failure:
            which = f" (attempt {row.attempt})" if sweep.all_attempts else ""
            failures += f"<li><b>{_e(row.trial)}</b>{which}: {_e(row.failure)}</li>"
        if row.stopped and row.final:
            stopped += f"<li><b>{_e(row.trial)}</b>: {_e(row.stopped)}</li>"
        cls = ("champion" if champion and row.run_id == champion.run_id
               else "failed" if row.status == "failed" or not row.final else "")
        tds = "".join(
            f"<td class=\"{'n' if h in numeric else 'why' if h == 'status' else ''}\">"
            f"{_e(c)}</td>" for h, c in zip(head, cells, strict=True))
        body += f"<tr class=\"{cls}\">{tds}</tr>"
    failed = f"<p>Why trials failed:</p><ul>{failures}</ul>" if failures else ""
    failed += f"<p>Trials that stopped early:</p><ul>{stopped}</ul>" if stopped else ""
    note = attempts_note(sweep)
    extra = f"<p class=\"meta\">{_e(note)}</p>" if note else ""
    return f"<div class=\"scroll\"><table><tr>{th}</tr>{body}</table></div>{extra}{failed}"


def _mattered(sweep: Sweep) -> str:
    """The three most important hyperparameters as text, or why none are given."""
    from lstm_automl.report.importance import what_mattered  # defers numpy

    found = what_mattered(sweep)
    if found.reason:
        return f"<p>No importances: {_e(found.reason)}.</p>"
    items = "".join(f"<li><b>{_e(feature.label)}</b>: {share:.0%} of the variation of "
                    f"{_e(sweep.objective)} on its own</li>"
                    for feature, share in found.ranked[:3])
    pruned = (f", {found.pruned} of them pruned (scored with the best they reached)"
              if found.pruned else "")
    return (f"<p>The hyperparameters that mattered most, from {len(found.trials)} scored "
            f"trials{_e(pruned)}:</p><ol>{items}</ol><p class=\"meta\">Interactions between "
            f"hyperparameters explain {found.interactions:.0%}. Pictures below: "
            f"hyperparameter importance and parallel coordinates.</p>")


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = CAPTIONS.get(name, name.replace("_", " "))
    return (f"<figure><img alt=\"{_e(name.replace('_', ' '))}\" src=\"data:image/png;base64,"
            f"{data}\"><figcaption>{_e(caption)}</figcaption></figure>")
