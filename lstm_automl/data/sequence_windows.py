"""Cut whole sequences into fixed-length windows (``data.window`` of classify and regress).

A long recording with one label (a session of one activity, a machine run with one fault) is
many examples of that label; the model sees ``window`` steps at a time. Sequences are split
into train, validation and test first and cut afterwards, so windows of one sequence never sit
in two splits (overlapping windows would otherwise leak the test split into training).
"""

from __future__ import annotations

import numpy as np

from lstm_automl.errors import DataError


def window_starts(length: int, window: int, step: int) -> list[int]:
    """Where each window of a sequence of ``length`` steps starts (none when it is shorter)."""
    return list(range(0, length - window + 1, step))


def cut_split(cases: list[np.ndarray], labels: np.ndarray, index: np.ndarray, window: int,
              step: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The windows of one split, each with its sequence's label and case number."""
    pieces: list[np.ndarray] = []
    owners: list[int] = []
    for position, case in enumerate(cases):
        for start in window_starts(len(case), window, step):
            pieces.append(case[start:start + window])
            owners.append(position)
    rows = np.array(owners, dtype=int)
    return pieces, labels[rows], index[rows]


def cut_all(raw: dict[str, list[np.ndarray]], raw_labels: dict[str, np.ndarray],
            index: dict[str, np.ndarray], window: int, step: int | None,
            source: str) -> None:
    """Replace every split's sequences by their windows, in place; refuse a window no sequence
    of some split is long enough for, naming the longest."""
    for name in list(raw):
        if raw_labels[name].ndim > 1:
            raise DataError(f"{source}: data.window: these sequences have one label per "
                            f"position, which a window cannot keep; use whole sequences")
        pieces, labels, owners = cut_split(raw[name], raw_labels[name], index[name], window,
                                           step or window)
        if not pieces:
            longest = max((len(c) for c in raw[name]), default=0)
            raise DataError(f"{source}: data.window {window} is longer than every sequence of "
                            f"the {name} split (longest {longest} steps)")
        raw[name], raw_labels[name], index[name] = pieces, labels, owners
