"""Save the best Keras model as one MLflow model with two flavors.

``keras`` (a real Keras model for ``mlflow.keras.load_model``) and ``python_function`` through
``lstm_automl.mlflow_pyfunc``, whose loader registers the custom cells first. A copy of the
package travels in the model's ``code/`` folder, so pyfunc loading needs no installed lstm-sweep.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import lstm_automl

PYFUNC_LOADER = "lstm_automl.mlflow_pyfunc"


def save_sweep_model(model: Any, path: Path, signature: Any, pip_requirements: list[str]) -> None:
    """Write the MLflow model folder at ``path`` (which must not exist yet)."""
    import mlflow.keras
    from mlflow import pyfunc
    from mlflow.models import Model

    mlflow.keras.save_model(model, str(path), signature=signature,
                            pip_requirements=pip_requirements)
    package = Path(lstm_automl.__file__).resolve().parent
    shutil.copytree(package, path / "code" / "lstm_automl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    mlmodel = Model.load(str(path / "MLmodel"))
    flavor = mlmodel.flavors["python_function"]
    pyfunc.add_to_model(
        mlmodel, loader_module=PYFUNC_LOADER, code="code",
        conda_env=flavor.get("env", {}).get("conda"),
        python_env=flavor.get("env", {}).get("virtualenv"),
    )
    mlmodel.save(str(path / "MLmodel"))
