"""The per-step baseline of ``task: label``: a ridge classifier on a window around each step.

What a user labelling steps tries before a recurrent network: describe each step by the
values of the ``2h + 1`` steps around it (and their squares, so a change of spread shows as well
as a change of level), and fit a linear classifier. The model:

* **Features.** For step ``t`` of a case, channels at ``t - h .. t + h``, zero outside the case
  (never another case's steps), and their squares, plus an unpenalised intercept.
* **Classifier.** Ridge regression on one-hot targets, one column per class; the class with
  the largest score wins (a "ridge classifier").
* **Choices.** ``h`` in ``HALF_WIDTHS`` and the penalty in ``ALPHAS`` are chosen by accuracy on
  the validation steps after fitting on the training steps; the chosen model is then refitted
  on training and validation steps together, as the network's baselines are.

numpy only: no scikit-learn, no TensorFlow.
"""

from __future__ import annotations

import numpy as np

HALF_WIDTHS = (0, 1, 2, 4, 8, 16)
ALPHAS = (1e-3, 1e-1, 10.0)
MAX_ROWS = 200_000  # training steps used for the fit (a seeded subsample beyond)


def window_features(cases: list[np.ndarray], half: int) -> np.ndarray:
    """One row per step of every case: the window's values and their squares."""
    rows = []
    for case in cases:
        steps, channels = case.shape
        padded = np.zeros((steps + 2 * half, channels))
        padded[half:half + steps] = case
        window = np.concatenate([padded[k:k + steps] for k in range(2 * half + 1)], axis=1)
        rows.append(np.concatenate([window, window ** 2], axis=1))
    return np.concatenate(rows, axis=0)


def ridge_fit(x: np.ndarray, labels: np.ndarray, classes: int, alpha: float,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(coefficients, intercept, feature mean, feature scale) of the ridge classifier."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - mean) / scale
    targets = np.eye(classes)[labels]
    centre = targets.mean(axis=0)
    gram = z.T @ z + alpha * len(z) * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, z.T @ (targets - centre))
    return coef, centre, mean, scale


def ridge_predict(model: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    coef, centre, mean, scale = model
    return np.argmax(((x - mean) / scale) @ coef + centre, axis=1)


def _subsample(x: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_ROWS:
        return x, labels
    keep = np.random.default_rng(seed).choice(len(x), MAX_ROWS, replace=False)
    return x[keep], labels[keep]


def window_classifier(train: list[np.ndarray], train_labels: list[np.ndarray],
                      validation: list[np.ndarray], validation_labels: list[np.ndarray],
                      test: list[np.ndarray], classes: int,
                      seed: int = 0) -> tuple[np.ndarray, str]:
    """Predicted class of every test step (cases concatenated in order) and a label naming the
    chosen window and penalty."""
    y_train = np.concatenate(train_labels)
    y_val = np.concatenate(validation_labels)
    best: tuple[float, int, float] | None = None
    for half in HALF_WIDTHS:
        x, y = _subsample(window_features(train, half), y_train, seed)
        x_val = window_features(validation, half)
        for alpha in ALPHAS:
            model = ridge_fit(x, y, classes, alpha)
            accuracy = float(np.mean(ridge_predict(model, x_val) == y_val))
            if best is None or accuracy > best[0]:
                best = (accuracy, half, alpha)
    assert best is not None
    _, half, alpha = best
    x, y = _subsample(window_features(train + validation, half),
                      np.concatenate([y_train, y_val]), seed)
    predicted = ridge_predict(ridge_fit(x, y, classes, alpha), window_features(test, half))
    return predicted, (f"ridge classifier on a window of {2 * half + 1} steps (values and "
                       f"squares), alpha {alpha:g}, both chosen on validation")
