"""Let a reloaded keras-tuner grid search go on where it stopped.

keras-tuner 1.4's ``GridSearchOracle`` walks the grid with two in-memory structures (the tried
combinations in grid order, and the trials whose next combination is still to be made) that its
saved state does not contain. After ``reload()`` both are empty, so the oracle answers "STOPPED"
at once: an interrupted grid sweep never resumes and a raised ``max_trials`` adds nothing. This
rebuilds both from the reloaded trials, which is all the oracle needs to go on with the next
untried combination and never repeat one.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

ENDED = ("COMPLETED", "FAILED", "INVALID", "STOPPED")


def rebuild_grid_walk(oracle: Any) -> int:
    """Refill a reloaded grid oracle's walk; returns how many trials it now knows (0: not a grid
    oracle, or nothing to rebuild)."""
    ordered = getattr(oracle, "_ordered_ids", None)
    pending = getattr(oracle, "_populate_next", None)
    if ordered is None or pending is None or ordered._memory or not oracle.trials:
        return 0
    ids = [tid for tid in oracle.start_order if tid in oracle.trials]

    def by_grid_order(a: str, b: str) -> int:
        return int(oracle._compare(oracle.trials[a].hyperparameters.values,
                                   oracle.trials[b].hyperparameters.values))

    for tid in sorted(ids, key=cmp_to_key(by_grid_order)):
        ordered.insert(tid)
    # Every ended trial may have an untried successor; the oracle skips those already tried.
    pending.extend(tid for tid in ids if str(oracle.trials[tid].status) in ENDED)
    return len(ids)
