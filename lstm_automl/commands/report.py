"""``lstm-sweep report``: one self-contained HTML file (summary, leaderboard, pictures).

Reads the tracking store only (local or a server); draws with matplotlib; no TensorFlow.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lstm_automl.errors import ReportPathError
from lstm_automl.framework_logs import quiet_frameworks
from lstm_automl.report.html import report_html
from lstm_automl.tracking.read_back import read_sweep
from lstm_automl.tracking.store import display_uri, resolve_tracking_uri


def report_command(args: argparse.Namespace) -> int:
    """``lstm-sweep report``: one self-contained HTML file about a recorded sweep.

    Args:
        args: ``sweep`` (a sweep file, name or run id; default the latest), ``tracking_uri``,
            ``out`` (replaced only when it is a report lstm-sweep wrote) and ``all_attempts``.

    Returns:
        0 done; bad input raises the project's errors (``errors.py``), which ``cli.main``
        turns into one line and exit 2.
    """
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ReportPathError(f"--out {args.out}: folder {out.parent} does not exist")
    if out.is_symlink() or (out.exists() and not _our_report(out)):
        raise ReportPathError(f"--out {args.out}: exists and is not a report lstm-sweep wrote; "
                              f"lstm-sweep overwrites only its own reports. Pick another file "
                              f"name, or move or remove that file yourself")
    quiet_frameworks()
    import matplotlib

    matplotlib.use("Agg")  # never a GUI backend, even where a display is set

    client, sweep = read_sweep(args.tracking_uri, args.sweep,
                               getattr(args, "all_attempts", False))
    page = report_html(client, sweep, tracking_uri=display_uri(
        resolve_tracking_uri(args.tracking_uri)))
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportPathError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {out} ({len(page) / 1024:.0f} KiB): sweep '{sweep.name}', "
          f"{len(sweep.trials)} trials; open it in any browser, it needs no network")
    return 0


def _our_report(path: Path) -> bool:
    """A page ``report`` wrote (its doctype, then its title within the first bytes): the only
    kind of existing file ``--out`` may overwrite."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return head.startswith("<!DOCTYPE html>") and "<title>lstm-sweep report: " in head
