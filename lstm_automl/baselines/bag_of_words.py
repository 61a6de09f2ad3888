"""The baseline a text user compares with first: a linear model on a bag of words.

tf-idf of the same tokens the network reads (the analyzer is passed in), then logistic
regression for classes or ridge for numbers. The penalty is chosen on the validation texts
(fitted on the training texts), then the model is refitted on training + validation and scored
on the test texts, as the network's final model is. scikit-learn, imported when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

PENALTIES = (0.01, 0.1, 1.0, 10.0, 100.0)  # C for logistic regression, 1/alpha for ridge
Analyzer = Callable[[str], list[str]]


def _vectorizer(analyzer: Analyzer) -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer  # defers scikit-learn

    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)


def _model(classify: bool, strength: float) -> object:
    from sklearn.linear_model import LogisticRegression, Ridge  # defers scikit-learn

    if classify:
        return LogisticRegression(C=strength, max_iter=2000)
    return Ridge(alpha=1.0 / strength)


def _score(classify: bool, model: object, x: object, y: np.ndarray) -> float:
    predicted = model.predict(x)  # type: ignore[attr-defined]
    if classify:
        return float(np.mean(predicted == y))
    return -float(np.sqrt(np.mean((predicted - y) ** 2)))


def bag_of_words(train: Sequence[str], train_y: np.ndarray, validation: Sequence[str],
                 validation_y: np.ndarray, test: Sequence[str], analyzer: Analyzer,
                 classify: bool, n_classes: int = 0) -> tuple[np.ndarray, str]:
    """Test predictions (class probabilities (n, n_classes), or numbers) and a label naming
    the chosen penalty."""
    best, best_score = PENALTIES[0], -np.inf
    vectorizer = _vectorizer(analyzer)
    x_train = vectorizer.fit_transform(train)  # type: ignore[attr-defined]
    x_val = vectorizer.transform(validation)  # type: ignore[attr-defined]
    for strength in PENALTIES:
        model = _model(classify, strength)
        model.fit(x_train, train_y)  # type: ignore[attr-defined]
        score = _score(classify, model, x_val, validation_y)
        if score > best_score:
            best, best_score = strength, score
    vectorizer = _vectorizer(analyzer)
    x_all = vectorizer.fit_transform([*train, *validation])  # type: ignore[attr-defined]
    model = _model(classify, best)
    model.fit(x_all, np.concatenate([train_y, validation_y]))  # type: ignore[attr-defined]
    x_test = vectorizer.transform(test)  # type: ignore[attr-defined]
    if not classify:
        return (np.asarray(model.predict(x_test), dtype=np.float64),  # type: ignore[attr-defined]
                f"ridge on tf-idf of the tokens, alpha {1.0 / best:g} by validation")
    probs = np.zeros((len(test), n_classes))
    seen = model.predict_proba(x_test)  # type: ignore[attr-defined]
    probs[:, model.classes_.astype(int)] = seen  # type: ignore[attr-defined]
    return probs, f"logistic regression on tf-idf of the tokens, C {best:g} by validation"
