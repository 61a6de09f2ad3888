"""A text model: token ids embedded (``embedding_dim``), ids past ``vocab_size`` folded into the
out-of-vocabulary id, padding masked, and the ``.keras`` file reloads with the same outputs.
Tiny models, no training."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_automl.data.base import ModelShape
from lstm_automl.model.cells import TokenIds
from lstm_automl.model.hypermodel import build_model

pytestmark = [pytest.mark.usefixtures("keras_session"), pytest.mark.backend_contract]

SHAPE = ModelShape(6, 1, 3, "classify", masked=True, vocabulary=50)


def values(**changes):
    base = {
        "cell": "gru", "bidirectional": False, "layers": 1, "units": [4], "dropout": [0.0],
        "recurrent_dropout": [0.0], "conv_front": False, "conv_filters": None,
        "conv_kernel_size": None, "dense_layers": 0, "dense_units": [],
        "dense_activation": None, "learning_rate": 1e-2, "optimizer": "adam", "loss": "mse",
        "batch_size": 8, "clipnorm": None, "embedding_dim": 5, "vocab_size": 10,
    }
    return {**base, **changes}


def ids(*rows: list[int]) -> np.ndarray:
    out = np.zeros((len(rows), SHAPE.steps, 1), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i, :len(row), 0] = row
    return out


def test_the_embedding_is_as_wide_as_searched_and_as_long_as_the_kept_vocabulary():
    model = build_model(values(), SHAPE, seed=1)
    embedding = model.get_layer("embedding")
    assert embedding.input_dim == 12 and embedding.output_dim == 5  # 10 tokens + pad + OOV
    assert embedding.mask_zero
    bigger = build_model(values(vocab_size=1000, embedding_dim=3), SHAPE, seed=1)
    assert bigger.get_layer("embedding").input_dim == 50  # no more ids than the data has
    plain = build_model(values(), ModelShape(6, 1, 3, "classify"), seed=1)
    assert not any(layer.name == "embedding" for layer in plain.layers)


def test_ids_past_the_vocab_size_read_as_out_of_vocabulary():
    folded = keras.ops.convert_to_numpy(TokenIds(12)(ids([2, 11, 12, 40, 1])))
    assert folded[0].tolist() == [2, 11, 1, 1, 1, 0]
    model = build_model(values(), SHAPE, seed=1)
    rare = model.predict(ids([3, 4, 30]), verbose=0)
    unknown = model.predict(ids([3, 4, 1]), verbose=0)
    np.testing.assert_allclose(rare, unknown, rtol=1e-6)


def test_padding_is_masked():
    model = build_model(values(), SHAPE, seed=1)
    short = model.predict(ids([3, 4]), verbose=0)
    again = model.predict(ids([3, 4]), verbose=0)
    longer = model.predict(ids([3, 4, 5]), verbose=0)
    np.testing.assert_allclose(short, again, rtol=1e-6)
    assert not np.allclose(short, longer)
    # The padding positions do not count: the same text, padded to the same length, whatever
    # the padding would have been embedded as.
    embedding = model.get_layer("embedding")
    weights = embedding.get_weights()
    weights[0][0] += 10.0
    embedding.set_weights(weights)
    np.testing.assert_allclose(model.predict(ids([3, 4]), verbose=0), short, rtol=1e-5)


def test_a_text_model_reloads_from_its_keras_file(tmp_path: Path):
    model = build_model(values(), SHAPE, seed=1)
    model.optimizer.build(model.trainable_variables)  # saved with its slots: no warning
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    x = ids([2, 3, 4, 5], [9, 1])
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_a_regress_text_model_serves_raw_strings_in_target_units(tmp_path: Path):
    """The saved spec alone turns strings into ids and outputs back into the target's units."""
    import csv

    from lstm_automl.config.schema import RegressDataConfig
    from lstm_automl.data.text import prepare_text
    from lstm_automl.errors import RawInputError
    from lstm_automl.serving.pyfunc import SweepModel
    from lstm_automl.serving.text_input import text_spec

    path = tmp_path / "r.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "stars"])
        writer.writerows([[f"film {'good ' * (i % 5)}end", 100 + i % 5] for i in range(40)])
    data = prepare_text(RegressDataConfig(source=str(path), task="regress", text="review",
                                          target="stars"), tmp_path, seed=1)
    model = build_model(values(), data.model_shape(), seed=1)
    served = SweepModel(model, text_spec(data))
    out = served.predict(["film good good end", "never seen"])
    assert list(out.columns) == ["case", "prediction"] and len(out) == 2
    # an untrained network outputs near 0 on the scaled target: back in stars, near their mean
    assert np.all(np.abs(out["prediction"] - 102) < 5)
    scaled = model.predict(data.vocabulary.encode(["film good good end"], data.steps), verbose=0)
    assert out["prediction"][0] == pytest.approx(
        data.target_scaler.inverse(scaled.reshape(-1, 1))[0, 0], rel=1e-5)
    with pytest.raises(RawInputError, match="data row 2: 3 is not a text"):
        served.predict(["fine", 3])
    with pytest.raises(RawInputError, match="data row 1: list is not a text"):
        served.predict(pd.DataFrame({"review": [list(range(100))]}))
    with pytest.raises(RawInputError, match="characters of text; one request may have at most"):
        served.predict(["x" * 6_000_000, "y" * 6_000_000])
    with pytest.raises(RawInputError, match="column 'review' is missing"):
        served.predict(np.array([["a", "b"]]))
    # ids sent as numbers still reach the network itself, as for every other model
    assert served.predict(data.splits["test"].x).shape == (len(data.splits["test"].x), 1)


def test_a_kmer_text_model_serves_raw_strings_split_into_the_same_kmers(tmp_path: Path):
    """The saved spec keeps the mode and k: a raw string is cut into the k-mers training used,
    also after the spec went through JSON, as the registered model's does."""
    import csv
    import json

    from lstm_automl.config.schema import ClassifyDataConfig
    from lstm_automl.data.text import prepare_text
    from lstm_automl.serving.pyfunc import SweepModel
    from lstm_automl.serving.text_input import text_spec

    path = tmp_path / "rna.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["probe", "bound"])
        writer.writerows([["GAUC" * (1 + i % 3) + "AA" * (i % 2), "yes" if i % 2 else "no"]
                          for i in range(40)])
    data = prepare_text(ClassifyDataConfig(source=str(path), task="classify", text="probe",
                                           label="bound", tokens="kmer", kmer=3), tmp_path,
                       seed=1)
    spec = json.loads(json.dumps(text_spec(data)))
    assert spec["text"]["mode"] == "kmer" and spec["text"]["k"] == 3
    model = build_model(values(), data.model_shape(), seed=1)
    served = SweepModel(model, spec).predict(["GAUCGAUCAA", "GA"])
    direct = model.predict(data.vocabulary.encode(["GAUCGAUCAA", "GA"], data.steps), verbose=0)
    assert data.vocabulary.ids("GAUCGAUCAA")[:3] == [data.vocabulary.ids(k)[0]
                                                     for k in ("GAU", "AUC", "UCG")]
    np.testing.assert_allclose(served[["p_no", "p_yes"]].to_numpy()[:, 1], direct[:, 0],
                               rtol=1e-5)
