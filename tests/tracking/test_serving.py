"""A saved model takes raw data: its pyfunc and ``lstm-sweep predict`` agree (REST serving of the
same kind of model against a local prediction: tests/tracking/test_serving_soak.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from saved_models import airline_forecast, save_raw_model
from saved_models import history as recent

from child_processes import predict_in_fresh_process
from conftest import PROJECT_ROOT
from lstm_automl.cli import main
from lstm_automl.config.schema import ClassifyDataConfig
from lstm_automl.data import prepare_sequences
from lstm_automl.errors import RawInputError
from lstm_automl.serving.raw import sequence_spec


@pytest.fixture(scope="module")
def forecast_model(tmp_path_factory):
    return airline_forecast(tmp_path_factory.mktemp("forecast"))


@pytest.mark.usefixtures("keras_session")
def test_raw_history_gives_the_same_forecast_as_the_sweep(forecast_model):
    import mlflow

    data, spec, path = forecast_model
    model = mlflow.pyfunc.load_model(str(path))
    raw = model.predict(recent(data, 40))  # a longer history uses its tail
    keras_model = model.get_raw_model()
    scaled = keras_model.predict(data.splits["test"].x[:1], verbose=0)
    expected = data.inverse_target(scaled, data.splits["test"].index[:1])
    np.testing.assert_allclose(raw.to_numpy(), expected, rtol=1e-5)
    assert list(raw.columns) == ["passengers_h1", "passengers_h2"]
    integers = recent(data, 13).astype({"passengers": "int64"})  # as pandas reads the CSV
    np.testing.assert_allclose(model.predict(integers).to_numpy(), expected, rtol=1e-5)
    shuffled = recent(data, 13).sample(frac=1.0, random_state=0)  # ordered by month again
    np.testing.assert_allclose(model.predict(shuffled).to_numpy(), expected, rtol=1e-5)


@pytest.mark.usefixtures("keras_session")
@pytest.mark.parametrize("problem, message", [
    ("short", "too few"), ("missing", "column 'passengers' is missing"), ("nan", "not a finite"),
])
def test_bad_raw_input_is_explained(forecast_model, problem, message):
    from lstm_automl.serving.pyfunc import _load_pyfunc

    data, _, path = forecast_model
    model = _load_pyfunc(str(path / "data" / "model"))
    frame = recent(data, 20)
    if problem == "short":
        frame = frame.tail(5)
    elif problem == "missing":
        frame = frame.rename(columns={"passengers": "pax"})
    else:
        frame.loc[frame.index[-1], "passengers"] = np.nan
    with pytest.raises(RawInputError, match=message):
        model.predict(frame)


def test_predict_command_and_fresh_process_loading(forecast_model, tmp_path, capsys):
    data, _, path = forecast_model
    history = tmp_path / "history.csv"
    recent(data, 20).to_csv(history, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(path), "--input", str(history),
                 "--output", str(out)]) == 0
    cli = pd.read_csv(out)
    fresh = predict_in_fresh_process(str(path), history, tmp_path)
    np.testing.assert_allclose(fresh.to_numpy(), cli.to_numpy(), rtol=1e-6)
    (tmp_path / "bad.csv").write_text("month,pax\n1958-01,1\n")
    assert main(["predict", "--model", str(path), "--input", str(tmp_path / "bad.csv")]) == 2
    assert "bad.csv" in capsys.readouterr().err


@pytest.mark.usefixtures("keras_session")
def test_classifier_takes_raw_unequal_sequences(tmp_path):
    import mlflow

    data = prepare_sequences(ClassifyDataConfig(source="builtin:JapaneseVowels",
                                                task="classify"), tmp_path, 1)
    spec = sequence_spec(data)
    path = save_raw_model(data, spec, tmp_path)
    model = mlflow.pyfunc.load_model(str(path))
    frames = []
    for case in (0, 1):
        values = data.raw["test"][case]
        frame = pd.DataFrame(values, columns=data.channels)
        frame.insert(0, "case_id", case)
        frame.insert(1, "t", np.arange(len(values)))
        frames.append(frame)
    raw = model.predict(pd.concat(frames, ignore_index=True))
    expected = model.get_raw_model().predict(data.splits["test"].x[:2], verbose=0)
    np.testing.assert_allclose(raw[[f"p_{c}" for c in data.classes]].to_numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    assert list(raw["label"]) == [data.classes[i] for i in expected.argmax(axis=1)]


def test_readme_documents_serving():
    text = (PROJECT_ROOT / "README.md").read_text()
    assert "mlflow models serve -m models:/" in text and "--env-manager local" in text
