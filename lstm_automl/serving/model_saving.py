"""Save the best model as one MLflow model that takes raw data, with a Keras flavor beside it.

``python_function`` (through ``lstm_automl.serving.pyfunc``) takes a raw table and returns
predictions in original units, using the preprocessing saved with it; ``keras`` points at the same
``.keras`` file for users who want the network itself (inputs: scaled windows). A copy of the
package travels in the model's ``code/`` folder, so the pyfunc loads where lstm-sweep is not
installed, and its loader registers the custom cells that Keras would not import by itself.
A ``model.python`` file travels there too, and the loader imports it first, so that the Keras
objects it registers (``keras.saving.register_keras_serializable``) are known when the model loads.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from lstm_automl.model.backend import PACKAGES, active_backend
from lstm_automl.serving.detect import detect_example, detect_spec
from lstm_automl.serving.folder import BACKEND_FILE, KERAS_FILE, PYTHON_MODULE_FILE, SPEC_FILE
from lstm_automl.serving.forward_serving import forward_example, forward_spec
from lstm_automl.serving.pyfunc import SweepModel
from lstm_automl.serving.raw import forecast_spec, input_example, sequence_spec
from lstm_automl.serving.text_input import text_example, text_spec

__all__ = ["KERAS_FILE", "PYFUNC_LOADER", "model_writer", "pip_requirements", "raw_signature",
           "save_sweep_model"]

PYFUNC_LOADER = "lstm_automl.serving.pyfunc"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # lstm_automl/, shipped in the model's code/


def save_sweep_model(model: Any, path: Path, signature: Any, pip_requirements: list[str],
                     spec: dict[str, Any] | None = None, input_example: Any = None,
                     python_file: Path | None = None) -> None:
    """Write the MLflow model folder at ``path`` (which must not exist yet).

    Without a preprocessing ``spec`` the pyfunc takes scaled windows, like the Keras model.
    ``python_file``: the sweep's ``model.python`` file, shipped beside the package.
    """
    import keras
    import mlflow.pyfunc
    from mlflow.models import Model

    package = PACKAGE_DIR
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "model"
        stage.mkdir()
        model.save(stage / KERAS_FILE)
        # The backend it trained on: the loader prefers it where installed (same numbers to
        # float rounding on any backend; tests/model/test_backends.py checks it).
        (stage / BACKEND_FILE).write_text(json.dumps({"backend": keras.backend.backend(),
                                                      "keras": keras.__version__}))
        if spec is not None:
            (stage / SPEC_FILE).write_text(json.dumps(spec, indent=2))
        code = [str(package)]
        if python_file is not None:
            code.append(str(python_file))
            (stage / PYTHON_MODULE_FILE).write_text(json.dumps({"module": python_file.stem}))
        mlflow.pyfunc.save_model(
            str(path), loader_module=PYFUNC_LOADER, data_path=str(stage),
            code_paths=code, signature=signature, input_example=input_example,
            pip_requirements=pip_requirements,
        )
    mlmodel = Model.load(str(path / "MLmodel"))
    data = mlmodel.flavors["python_function"]["data"]
    mlmodel.add_flavor("keras", data=data, keras_version=keras.__version__,
                       keras_backend=keras.backend.backend(), save_exported_model=False)
    mlmodel.save(str(path / "MLmodel"))


def raw_signature(example: Any, output: Any) -> Any:
    """The output schema only: the model checks raw input itself.

    MLflow's column types would refuse a CSV whose numbers happen to be integers ("cannot safely
    convert int64 to float64"); the saved input example shows the columns instead, and the
    model's own checks name a missing column, a NaN or too short a history.
    """
    from mlflow.models import ModelSignature, infer_signature

    return ModelSignature(inputs=None, outputs=infer_signature(output).inputs)


def model_writer(model: Any, data: Any, python_file: Path | None = None,
                 mc_dropout: dict[str, Any] | None = None,
                 blend: dict[str, Any] | None = None) -> Any:
    """A function that writes ``model`` as the MLflow model folder the registry logs: raw data
    in (the preprocessing ``data`` used), predictions in original units out; with
    ``mc_dropout`` (``mc_dropout.mc_settings``) their mean and spread over dropout passes; with
    ``blend`` (``model/blend.py``) the classical members added by their weights."""
    # Build the optimizer's slots so the saved file reloads without a "skipping variables" warning.
    if getattr(model, "optimizer", None) is not None:
        model.optimizer.build(model.trainable_variables)
    text = hasattr(data, "text_column")  # data/text.py: raw strings in
    series = getattr(data, "forward_labels", False)  # data/forward_labels.py: a series in
    spec = (detect_spec(data) if data.task == "detect" else text_spec(data) if text else
            forward_spec(data) if series else
            forecast_spec(data) if data.task == "forecast" else sequence_spec(data))
    if mc_dropout is not None:
        spec["mc_dropout"] = mc_dropout
    if blend is not None:
        spec["blend"] = blend
    example = (detect_example(spec, data) if data.task == "detect" else
               text_example(spec, data) if text else
               forward_example(spec, data) if series else input_example(spec, data))
    signature = raw_signature(example, SweepModel(model, spec).predict(example))

    def write(path: Path) -> None:
        needs = ("statsmodels",) if blend and blend.get("classical") else ()
        save_sweep_model(model, path, signature, pip_requirements(needs), spec, example,
                         python_file)

    return write


def pip_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pin what the saved model needs to load, so MLflow does not guess (slowly) at save time;
    ``extra``: more packages it needs (statsmodels for a blend's classical members)."""
    from importlib.metadata import PackageNotFoundError, version

    reqs = []  # the backend it trained on: the loader prefers it (serving/pyfunc.py)
    for package in (*PACKAGES[active_backend()], "keras", "mlflow", "lstm-sweep", *extra):
        try:
            reqs.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    return reqs
