"""1-NN DTW classification as the UCR archive does it: the strongest simple whole-sequence baseline.

A recurrent network that cannot beat 1-NN DTW on a classification task has not earned its
keep, so every classification sweep reports it next to 1-NN Euclidean. What is computed:

* **Distance.** Dynamic time warping with the squared Euclidean cost between the channel
  vectors at each step (for several channels this is *dependent* DTW: one warping path shared
  by all channels), reported as the square root of the summed cost. Series are used as given;
  UCR/UEA series are already z-normalised and are not rescaled here.
* **Window.** A Sakoe-Chiba band of radius ``r = floor(p/100 * L)`` steps, with ``L`` the
  longest training series, as the UCR suite turns a window of ``p`` % into steps. For unequal
  lengths ``n <= m`` the band runs around both the start and the end diagonal: cell ``(i, j)``
  is allowed when ``-r <= j - i <= (m - n) + r`` (and symmetrically when ``n > m``), so every
  pair keeps a complete warping path however small the window, and at equal lengths it is the
  ordinary band (``r = 0`` is the Euclidean distance). ``window=None`` is the full window.
* **Learned window.** As the UCR archive: the window among 0 %..100 % in 1 % steps with the best
  leave-one-out 1-NN accuracy on the training set, ties to the smallest window. All 101
  candidates are evaluated exactly, but cheaply: ``D_r >= D_full`` and ``D_r`` never grows with
  ``r``, so after one full-window and one ``r = 0`` matrix only the pairs that could still be a
  nearest neighbour (full-window distance below the current nearest-neighbour distance of one
  of the two cases) and that have not yet reached their full-window distance are recomputed
  for each larger radius. This gives the same nearest neighbour (ties included) at every radius
  as computing each matrix outright, 10-50x faster on the shipped data sets.
* **Budget.** A sweep must not spend more on a baseline than on one trial. From a first timing
  the search cost is estimated; when it exceeds ``budget_s`` the cases used for the search are
  a seeded, class-stratified sample, then, if that is not enough, the candidate windows are
  coarsened, and a scan that still runs past the budget stops early. Every such step is written
  to ``notes``. Predicting the test cases is outside the budget (it is one matrix at the chosen
  window).

Why dtaidistance: on this project's data it was as fast as the fastest maintained candidate
(aeon, tslearn, sktime) with the smallest install and no JIT compile (the comparison is in
bench/runs/2026-12.md). Only ``dtaidistance.dtw_ndim`` is used, also for one channel: in 2.5.1
the univariate ``dtw.distance_fast`` returns ``inf`` for some pairs where one series has one or
two steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

PERCENTS: tuple[int, ...] = tuple(range(101))  # the UCR candidate windows, in % of the length
COARSE_STEPS: tuple[int, ...] = (2, 5, 10, 25, 50, 100)  # % steps tried when 1 % is too dear
CALLS_PER_CASE = 0.5  # expected recomputed pairs per case and radius (measured 0.03-0.4)
MIN_SEARCH_CASES = 20  # fewer cases than this make leave-one-out accuracy meaningless
MAX_SEARCH_CASES = 3000  # the search holds two n x n float64 matrices (72 MB each at 3000)
TEST_CHUNK_PAIRS = 2_000_000  # test x train distances held at once while predicting


@dataclass
class NearestNeighbourResult:
    """A nearest-neighbour baseline's predictions and how they were obtained."""

    name: str  # "1nn_dtw": the key the baseline is reported under
    label: str  # e.g. "1-NN DTW, window 4% (learned by leave-one-out)"
    predicted: np.ndarray  # predicted class index per test case (a training label)
    window: float | None  # chosen band as a fraction of the longest training series; None = full
    seconds: float  # wall time of the whole baseline (search and prediction)
    notes: list[str] = field(default_factory=list)  # what the budget changed, if anything


@dataclass
class _Search:
    percent: int
    cases: int  # training cases the leave-one-out search used
    seconds: float


def dtw_1nn(train: list[np.ndarray], train_labels: np.ndarray, test: list[np.ndarray], *,
            window: float | None | str = "learn", budget_s: float = 60.0,
            seed: int = 0) -> NearestNeighbourResult:
    """1-NN DTW predictions for ``test`` from ``train`` (each case a ``(length, channels)`` array).

    ``window``: ``"learn"`` picks the band by leave-one-out on the training cases as the UCR
    archive does; a float in [0, 1] fixes it as a fraction of the longest training series;
    ``None`` is the full window. ``budget_s`` caps the window search (see the module notes);
    ``seed`` draws the sample of cases when the budget forces one.
    """
    start = time.perf_counter()
    train_s, test_s = _prepare(train, "train"), _prepare(test, "test")
    labels = np.asarray(train_labels).reshape(-1)
    if len(labels) != len(train_s):
        raise ValueError(f"{len(train_s)} training cases but {len(labels)} labels")
    widths = {s.shape[1] for s in train_s + test_s}
    if len(widths) > 1:
        raise ValueError(f"cases have different numbers of channels: {sorted(widths)}")
    reference = max(len(s) for s in train_s)
    notes: list[str] = []
    if isinstance(window, str):
        if window != "learn":
            raise ValueError(f"window must be 'learn', a fraction in [0, 1] or None: {window!r}")
        search = _learn_window(train_s, labels, reference, budget_s, seed, notes)
        fraction: float | None = search.percent / 100
        radius: int | None = search.percent * reference // 100
        how = "learned by leave-one-out"
        if search.cases < len(train_s):
            how += f" on {search.cases} of {len(train_s)} training cases"
        label = f"1-NN DTW, window {search.percent}% ({how})"
    elif window is None:
        fraction, radius, label = None, None, "1-NN DTW, full window"
    else:
        fraction = float(window)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"window must be a fraction in [0, 1], got {window}")
        radius = math.floor(fraction * reference + 1e-9)
        label = f"1-NN DTW, window {fraction * 100:g}%"
    predicted = labels[_nearest(test_s, train_s, radius)]
    return NearestNeighbourResult("1nn_dtw", label, predicted, fraction,
                                  time.perf_counter() - start, notes)


def dtw_distance(a: np.ndarray, b: np.ndarray, radius: int | None = None) -> float:
    """The distance this baseline uses between two ``(length, channels)`` cases.

    ``radius`` is the band in steps (see the module notes for unequal lengths); None is the
    full window. Public so that tests and callers can check it against other implementations.
    """
    from dtaidistance import dtw_ndim

    x, y = _prepare([a, b], "distance")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"cases have {x.shape[1]} and {y.shape[1]} channels")
    return float(dtw_ndim.distance_fast(x, y, window=_band(radius, max(len(x), len(y)))))


def _prepare(cases: Sequence[np.ndarray], what: str) -> list[np.ndarray]:
    """C-contiguous float64 (length, channels) arrays: what dtaidistance's C code reads."""
    if len(cases) == 0:
        raise ValueError(f"no {what} cases")
    out = []
    for case in cases:
        array = np.asarray(case, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or len(array) == 0:
            raise ValueError(f"a {what} case must be a non-empty (length, channels) array, "
                             f"got shape {array.shape}")
        out.append(np.ascontiguousarray(array))
    return out


def _band(radius: int | None, longest: int) -> int | None:
    """dtaidistance's ``window`` for a radius: it allows |i - j| < window, so radius + 1."""
    return None if radius is None or radius >= longest - 1 else radius + 1


def _nearest(queries: list[np.ndarray], train: list[np.ndarray], radius: int | None) -> np.ndarray:
    """Index of each query's nearest training case (the first one on ties)."""
    from dtaidistance import dtw_ndim

    n = len(train)
    window = _band(radius, max(len(s) for s in train + queries))
    chunk = max(1, TEST_CHUNK_PAIRS // n)
    found = []
    for begin in range(0, len(queries), chunk):
        part = queries[begin:begin + chunk]
        block = ((0, n), (n, n + len(part)))
        distances = np.asarray(dtw_ndim.distance_matrix_fast(train + part, window=window,
                                                             block=block, compact=True))
        found.append(np.argmin(distances.reshape(n, len(part)), axis=0))
    return np.concatenate(found)


def _radii(percents: Sequence[int], reference: int) -> list[int]:
    return sorted({p * reference // 100 for p in percents})


def _learn_window(series: list[np.ndarray], labels: np.ndarray, reference: int, budget_s: float,
                  seed: int, notes: list[str]) -> _Search:
    """The UCR window: best leave-one-out 1-NN accuracy over the candidates, smallest on ties."""
    start = time.perf_counter()
    n = len(series)
    if n < 2:
        notes.append("one training case: no leave-one-out search, full window used")
        return _Search(100, n, 0.0)
    cost = _Cost.probe(series, np.random.default_rng(seed))
    cases, step = min(n, MAX_SEARCH_CASES), 1
    fine = len(_radii(PERCENTS, reference))  # distinct radii at 1 % steps
    full_estimate = cost.search(n, fine)
    reasons = []
    if cases < n:
        reasons.append(f"at most {MAX_SEARCH_CASES} cases are searched (two n x n matrices)")
    if full_estimate > budget_s:
        floor_cases = min(cases, max(MIN_SEARCH_CASES, 2 * len(np.unique(labels))))
        while cases > floor_cases and cost.search(cases, fine) > budget_s:
            cases = max(floor_cases, int(cases * 0.9))
        for step in (1, *COARSE_STEPS):
            if cost.search(cases, len(_radii(_percents(step), reference))) <= budget_s:
                break
        reasons.append(f"the full search was estimated at {full_estimate:.3g} s, over the "
                       f"{budget_s:g} s budget")
    if reasons:
        parts = []
        if cases < n:
            parts.append(f"on {cases} of {n} training cases (class-stratified sample, seed {seed})")
        if step > 1:
            tried = _percents(step)
            parts.append(f"over the windows {', '.join(map(str, tried))}%" if len(tried) <= 5
                         else f"over windows in {step}% steps instead of 1%")
        notes.append(f"1-NN DTW window search {' and '.join(parts)}: {'; '.join(reasons)}")
    chosen = np.arange(n) if cases == n else _stratified(labels, cases, seed)
    percents = _percents(step)
    deadline = start + budget_s
    accuracy, stopped = _loo_accuracy([series[i] for i in chosen], labels[chosen],
                                      [p * reference // 100 for p in percents], deadline)
    if stopped is not None:
        notes.append(f"1-NN DTW window search ran past its {budget_s:g} s budget: windows "
                     f"from {percents[stopped]}% up to 100% (exclusive) were not tried")
    best = int(np.argmax(accuracy))  # first maximum: the smallest window on ties
    return _Search(percents[best], cases, time.perf_counter() - start)


def _percents(step: int) -> list[int]:
    return sorted({*range(0, 101, step), 100})


def _stratified(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample of ``size`` cases keeping each class's share (at least one each)."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    share = np.maximum(1, np.floor(counts / counts.sum() * size)).astype(int)
    while share.sum() < size:  # hand out what flooring left, to the classes with most left over
        spare = np.where(share < counts, counts / counts.sum() * size - share, -np.inf)
        share[int(np.argmax(spare))] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), min(k, cnt), replace=False)
              for c, k, cnt in zip(classes, share, counts, strict=True)]
    return np.sort(np.concatenate(picked))


@dataclass
class _Cost:
    """Seconds per DTW cell, from a first timing, to size the search before starting it."""

    matrix_cell_s: float  # inside one distance-matrix call
    call_s: float  # one full-window single-pair call, on average lengths
    mean_cells: float  # average length product of two cases

    @classmethod
    def probe(cls, series: list[np.ndarray], rng: np.random.Generator) -> _Cost:
        from dtaidistance import dtw_ndim

        n = len(series)
        lengths = np.array([len(s) for s in series], dtype=float)
        mean_cells = float(lengths.mean() ** 2)
        pairs = [tuple(rng.choice(n, 2, replace=False)) for _ in range(3)]
        began = time.perf_counter()
        for i, j in pairs:
            dtw_ndim.distance_fast(series[i], series[j])
        spent = time.perf_counter() - began
        cells = sum(len(series[i]) * len(series[j]) for i, j in pairs)
        call_s = spent / len(pairs) * mean_cells / (cells / len(pairs))
        matrix_cell_s = spent / cells  # an upper bound: includes the per-call overhead
        m = min(n, 16)
        if m * (m - 1) / 2 * call_s < 0.5:  # cheap enough to time a small matrix as well
            few = [series[i] for i in rng.choice(n, m, replace=False)]
            began = time.perf_counter()
            dtw_ndim.distance_matrix_fast(few, compact=True)
            spent = time.perf_counter() - began
            sizes = np.array([len(s) for s in few], dtype=float)
            matrix_cell_s = spent / max(1.0, (sizes.sum() ** 2 - (sizes**2).sum()) / 2)
        return cls(matrix_cell_s, call_s, mean_cells)

    def search(self, cases: int, radii: int) -> float:
        """Full-window matrix + r = 0 matrix + the recomputed pairs (at half a band on average)."""
        matrix = self.matrix_cell_s * cases * (cases - 1) / 2 * self.mean_cells
        scan = CALLS_PER_CASE * cases * max(0, radii - 2) * self.call_s / 2
        return matrix + scan


def _loo_accuracy(series: list[np.ndarray], labels: np.ndarray, radii: list[int],
                  deadline: float) -> tuple[np.ndarray, int | None]:
    """Leave-one-out 1-NN accuracy at each radius (ascending), exactly, by bounded recomputing.

    Returns the accuracies and the index of the first candidate skipped for the deadline (those
    from there on, but the full window, get -1), or None.
    """
    from dtaidistance import dtw_ndim

    n = len(series)
    longest = max(len(s) for s in series)
    upper = np.triu_indices(n, 1)

    def square(r: int | None) -> np.ndarray:
        out = np.full((n, n), np.inf)
        out[upper] = np.asarray(dtw_ndim.distance_matrix_fast(series, window=_band(r, longest),
                                                              compact=True))
        out.T[upper] = out[upper]
        return out

    full = square(None)  # a lower bound at every radius, and the 100 % candidate itself
    accuracy = np.full(len(radii), -1.0)
    distinct = sorted(set(radii))
    by_radius: dict[int, float] = {}
    current = square(distinct[0])
    nn = np.argmin(current, axis=1)
    nn_value = current[np.arange(n), nn]
    by_radius[distinct[0]] = float(np.mean(labels[nn] == labels))
    # pairs that may still matter: not yet at their full-window distance, and close enough to
    # be one of the two cases' nearest neighbour (nn_value only falls as the radius grows)
    ii, jj = upper
    open_ = current[ii, jj] > full[ii, jj]
    ii, jj = ii[open_], jj[open_]
    stopped = None
    for r in distinct[1:]:
        if r >= longest - 1:
            by_radius[r] = float(np.mean(labels[np.argmin(full, axis=1)] == labels))
            continue
        if time.perf_counter() > deadline:
            stopped = r
            break
        keep = (full[ii, jj] <= nn_value[ii]) | (full[ii, jj] <= nn_value[jj])
        ii, jj = ii[keep], jj[keep]
        window = _band(r, longest)
        alive = np.ones(len(ii), dtype=bool)
        for k, (i, j) in enumerate(zip(ii.tolist(), jj.tolist(), strict=True)):
            d = dtw_ndim.distance_fast(series[i], series[j], window=window)
            current[i, j] = current[j, i] = d
            if d <= full[i, j]:
                alive[k] = False  # converged: the same at every larger radius
        touched = np.unique(np.concatenate([ii, jj]))
        if len(touched):
            nn[touched] = np.argmin(current[touched], axis=1)
            nn_value[touched] = current[touched, nn[touched]]
        ii, jj = ii[alive], jj[alive]
        by_radius[r] = float(np.mean(labels[nn] == labels))
    full_accuracy = float(np.mean(labels[np.argmin(full, axis=1)] == labels))
    for k, r in enumerate(radii):
        if r in by_radius:
            accuracy[k] = by_radius[r]
        elif r >= longest - 1:
            accuracy[k] = full_accuracy
    first_skipped = None
    if stopped is not None:
        first_skipped = next(k for k, r in enumerate(radii) if r >= stopped)
    return accuracy, first_skipped
