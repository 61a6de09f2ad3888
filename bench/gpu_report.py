"""The GPU check's results file (bench/gpu_check.py runs the steps, this writes them up)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Step:
    """One step's outcome: ok / failed / timed out / skipped, its seconds, figures, notes."""

    name: str
    status: str = "skipped"
    seconds: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def report(steps: list[Step], dry: bool, budget: float, started: dt.datetime, sets: list[str],
           audit: bool = True) -> str:
    """The results file: one table of steps, the kernel table, the sweeps' tables, notes.
    ``sets`` are the --set items every sweep ran with; ``audit``: add the unused-wheel note."""
    facts = next((s.figures for s in steps if s.name == "preflight"), {})
    mode = ("DRY RUN on the CPU (tiny settings; figures are not meaningful)" if dry
            else "GPU")
    lines = [f"## gpu_check: lstm-sweep on JAX on a lent GPU ({mode})", "",
             f"- date (start): {started:%Y-%m-%d %H:%M %Z}; total "
             f"{sum(s.seconds for s in steps):.0f} s of a {budget:.0f} s budget",
             f"- machine: {_gpu_name()}; JAX sees {facts.get('devices', '?')} "
             f"({facts.get('device_kind', '?')}); {os.cpu_count()} CPU cores; Python "
             f"{facts.get('python', platform.python_version())}",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in
                                         facts.get("versions", {}).items()),
             f"- TensorFlow imported by a JAX process: {facts.get('tensorflow_imported', '?')}",
             "- command: `bench/gpu_check.sh" + (" --dry-run" if dry else "") + "`", "",
             "| step | status | seconds | result |", "|---|---|---|---|"]
    for s in steps:
        lines.append(f"| {s.name} | {s.status} | {s.seconds:.0f} | {_summary(s)} |")
    kernels = next((s for s in steps if s.name == "kernels"), None)
    if kernels and kernels.figures.get("rows"):
        lines += ["", "Which path Keras took per layer (one epoch, batch 64, 32 units), against "
                  "the `kernel` tag lstm-sweep records:", "",
                  "| layer | policy (compute dtype) | Keras hook | cuDNN calls | ran | tag | "
                  "epoch s (first, with compile) |", "|---|---|---|---|---|---|---|"]
        for r in kernels.figures["rows"]:
            if "error" in r:
                lines.append(f"| {r['layer']} | {r['precision']} ({r['compute_dtype']}) | "
                             f"failed: {r['error']} | - | failed | {r['tag']} | - |")
                continue
            hooks = "; ".join(r["keras_hooks"]) or "none (generic loop)"
            lines.append(f"| {r['layer']} | {r['precision']} ({r['compute_dtype']}) | {hooks} | "
                         f"{r['cudnn_calls']} | {r['ran']} | {r['tag']}"
                         f"{'' if r['agrees'] else ' (differs)'} | "
                         f"{r['epoch_s']} ({r['first_epoch_s']}) |")
    sweeps = [s for s in steps if "trials" in s.figures]
    if sweeps:
        settings = ", ".join(sets)
        lines += ["", f"`lstm-sweep run bench/gpu_sweep.yaml` (6 trials: lstm, gru, peephole, "
                  f"each bidirectional or not; {settings}; --gpus 0: the first 2 trials, 2 epochs; "
                  f"mixed precision: the first 3); trials per hour from the trials' own seconds "
                  f"(compiles included; a fresh JAX compile cache per run; each run stops "
                  f"starting trials at 60% of its step's limit):", "",
                  "| run | trials done | trials/hour | median trial s | wall s | best val_loss "
                  "| kernel tags |", "|---|---|---|---|---|---|---|"]
        for s in sweeps:
            f = s.figures
            tags = ", ".join(f"{k}={v}" for k, v in sorted(f.get("kernels", {}).items()))
            lines.append(f"| {s.name} | {f.get('completed')}/{f.get('trials')} | "
                         f"{_num(f.get('trials_per_hour'))} | {_num(f.get('trial_s_median'))} | "
                         f"{_num(f.get('wall_s'))} | {_num(f.get('best_val_loss'), 4)} | "
                         f"{tags} |")
        lines += ["", *trial_table(sweeps)]
    packing = next((s for s in steps if s.figures.get("packing")), None)
    if packing:
        lines += ["", *packing_table(packing.figures["packing"])]
    notes = [n for s in steps for n in (f"{s.name}: {x}" for x in s.notes)]
    unused = unused_bundle() if audit else None
    if unused is not None:
        notes.append("bundled distributions no process reported importing: "
                     + (", ".join(unused) or "none") + " (a process stopped by a signal, such as "
                     "the local mlflow server, may not report; the --gpus step proves the "
                     "server's)")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def trial_table(sweeps: list[Step]) -> list[str]:
    """Each trial's seconds (compile included) and steady seconds per epoch, per run, and the
    ratios between runs over the trials both completed (a run cut by its time limit finished
    fewer)."""
    lines: list[str] = []
    for key, what in (("seconds_by_trial", "Seconds per trial (compile included)"),
                      ("epoch_s_by_trial", "Seconds per epoch after the first (no compile)")):
        runs = {s.name: s.figures.get(key, {}) for s in sweeps}
        labels = sorted({label for seconds in runs.values() for label in seconds})
        if not labels:
            continue
        names = list(runs)
        lines += [f"{what}:", "", "| trial | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        lines += [f"| {label} | " + " | ".join(_num(runs[n].get(label)) for n in names) + " |"
                  for label in labels]
        lines.append("")
        for fast, slow in (("sweep on GPU", "sweep on CPU"),
                           ("mixed precision on GPU", "sweep on GPU")):
            a, b = runs.get(fast, {}), runs.get(slow, {})
            common = sorted(set(a) & set(b))
            if common:
                ratio = sum(b[k] for k in common) / sum(a[k] for k in common)
                unit = "trials per hour" if key == "seconds_by_trial" else "epochs per hour"
                lines.append(f"- {unit}, {fast} / {slow}: {ratio:.2f}x (over the "
                             f"{len(common)} trials both completed: {', '.join(common)})")
        lines.append("")
    return lines


def packing_table(results: list[dict[str, Any]]) -> list[str]:
    """bench/packing.py's figures: trials per hour with k trials at once on GPU 0, and the
    ratio to one at a time (issue 24's goal: 3x at k >= 4 for quickstart-size models)."""
    base = next((r.get("trials_per_hour") for r in results if r.get("k") == 1), None)
    lines = ["Packing quickstart-size trials on GPU 0 (`bench/packing.py --gpu --backend jax`; "
             "trials per hour over the search's span):", "",
             "| concurrent trials | completed | search span s | trials/hour | vs 1 |",
             "|---|---|---|---|---|"]
    for r in results:
        rate = r.get("trials_per_hour")
        ratio = f"{rate / base:.2f}x" if rate and base else "-"
        lines.append(f"| {r.get('k')} | {r.get('completed')} | {_num(r.get('span_s'))} | "
                     f"{_num(rate)} | {ratio} |")
    return lines


def unused_bundle() -> list[str] | None:
    """Distributions installed from the bundle that no audited process imported."""
    site, audit = os.environ.get("GPU_CHECK_SITE"), os.environ.get("GPU_CHECK_AUDIT")
    if not site or not audit or not Path(audit).is_dir():
        return None
    imported: set[str] = set()
    for dump in Path(audit).glob("*.txt"):
        imported.update(dump.read_text().splitlines()[1:])
    unused = []
    for record in Path(site).glob("*.dist-info/RECORD"):
        files = {str(Path(site) / line.split(",")[0]) for line in record.read_text().splitlines()}
        if not files & imported:
            unused.append(record.parent.name.split("-")[0])
    return sorted(unused)


def _summary(step: Step) -> str:
    f = step.figures
    if step.name == "preflight":
        return (f"JAX backend {f.get('jax_backend', '?')}, Keras backend "
                f"{f.get('keras_backend', '?')}")
    if step.name == "contracts":
        return str(f.get("pytest", ""))
    if step.name == "kernels" and f.get("rows"):
        rows = f["rows"]
        return (f"{sum(r['ran'] == 'cudnn' for r in rows)} of {len(rows)} layer/precision "
                f"pairs on cuDNN; tags agree for {sum(r['agrees'] for r in rows)}")
    if step.name == "packing" and f.get("packing"):
        rates = {r["k"]: r.get("trials_per_hour") for r in f["packing"]}
        base = rates.get(1)
        return "; ".join(f"{k} at once {rates[k] / base:.2f}x" for k in sorted(rates)
                         if k != 1 and rates[k] and base) or "no trials per hour measured"
    if "trials" in f:
        extra = f"; on {', '.join(f.get('tuner_ids', []))}" if step.name == "--gpus 0" else ""
        return (f"{f.get('completed')}/{f.get('trials')} trials, "
                f"{_num(f.get('trials_per_hour'))} trials/hour{extra}")
    return ""


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 ** digits else f"{value:.{digits}g}"



def _gpu_name() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                              "--format=csv,noheader"], capture_output=True, text=True,
                             timeout=20).stdout.strip()
        return out or "no GPU (nvidia-smi answered nothing)"
    except (OSError, subprocess.TimeoutExpired):
        return "no GPU (no nvidia-smi)"


