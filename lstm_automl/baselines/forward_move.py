"""The baselines of forward-move classes (``data.label_from``) beyond the majority class.

What a trader or data scientist compares a network with before trusting it:

* **The last move already seen.** At row t the forward window of row t - horizon has ended, so
  its class is known; predict that the next move repeats it (momentum). Rows without such a
  class (too early in the series) get the majority class.
* **A ridge classifier on the window.** The scaled window (every step and channel) and its
  squares, flattened, an unpenalised intercept, ridge regression on one-hot targets
  (``step_window.ridge_fit``); the penalty is chosen by macro-F1 on the validation windows
  after fitting on the training windows, then refitted on both.

numpy only: no scikit-learn, no TensorFlow.
"""

from __future__ import annotations

import numpy as np

from lstm_automl.baselines.step_window import ALPHAS, ridge_fit, ridge_predict


def last_move_classes(codes: np.ndarray, rows: np.ndarray, horizon: int,
                      fallback: int) -> np.ndarray:
    """The class of row t - ``horizon`` for each row t in ``rows`` (``codes``: every row's
    class, negative where none), ``fallback`` where it has none."""
    earlier = np.asarray(rows) - horizon
    known = earlier >= 0
    out = np.full(len(earlier), fallback, dtype=np.int64)
    out[known] = codes[earlier[known]]
    out[out < 0] = fallback
    return out


def _features(windows: np.ndarray) -> np.ndarray:
    flat = windows.reshape(len(windows), -1).astype(np.float64)
    return np.concatenate([flat, flat ** 2], axis=1)


def macro_f1(labels: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    """Mean F1 over the classes that occur in ``labels`` or ``predicted``."""
    scores = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (labels == c))
        wrong = np.sum((predicted == c) != (labels == c))
        if tp + wrong:
            scores.append(2 * tp / (2 * tp + wrong))
    return float(np.mean(scores)) if scores else 0.0


def window_ridge_classifier(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray,
                            val_y: np.ndarray, test_x: np.ndarray,
                            classes: int) -> tuple[np.ndarray, str]:
    """The predicted class of every test window, and a label naming the chosen penalty."""
    x, x_val = _features(train_x), _features(val_x)
    scored = [(macro_f1(val_y, ridge_predict(ridge_fit(x, train_y, classes, a), x_val),
                        classes), a) for a in ALPHAS]
    alpha = max(scored, key=lambda item: item[0])[1]
    model = ridge_fit(np.concatenate([x, x_val]), np.concatenate([train_y, val_y]), classes,
                      alpha)
    return ridge_predict(model, _features(test_x)), (
        f"ridge classifier on the window (values and squares), alpha {alpha:g} chosen by "
        f"validation macro-F1")
