"""The cell family per recurrent layer: ``cell: {choice: [lstm, gru], per_layer: true}``."""

from __future__ import annotations

from pathlib import Path

import keras_tuner as kt
import numpy as np
import pytest

from lstm_automl.cli import main
from lstm_automl.config.schema import SweepConfig
from lstm_automl.config.space_summary import space_size, summary_rows
from lstm_automl.model.kernel_tags import cell_label, space_kernel_notes, trial_kernel
from lstm_automl.model.space import declare_space
from lstm_automl.resume.identity import sweep_identity
from tests.conftest import write_sweep

PER_LAYER = {"choice": ["lstm", "gru"], "per_layer": True}


def config(**search: object) -> SweepConfig:
    return SweepConfig.model_validate({"name": "c", "data": {"source": "builtin:airline"},
                                       "search": search})


def test_each_existing_layer_has_its_own_cell_hyperparameter():
    specs = config(layers={"choice": [1, 3]}, cell=PER_LAYER).search.specs()
    hp = kt.HyperParameters()
    assert declare_space(hp, specs)["cell"] == ["lstm"]  # a list: the default one layer
    assert {"cell_0", "cell_1", "cell_2"} <= {p.name for p in hp.space}
    assert "cell" not in {p.name for p in hp.space}
    hp.values.update(layers=3, cell_0="gru", cell_1="lstm", cell_2="gru")
    assert declare_space(hp, specs)["cell"] == ["gru", "lstm", "gru"]
    hp.values["layers"] = 1  # layers 1 and 2 do not exist: their cells are not active
    declare_space(hp, specs)
    assert hp.is_active("cell_0") and not hp.is_active("cell_2")


MIXED = ["peephole", "simple_rnn", "gru"]


@pytest.mark.usefixtures("keras_session")
@pytest.mark.backend_contract
def test_the_model_has_one_family_per_layer_bidirectional_and_masked():
    import keras

    from lstm_automl.data.base import ModelShape
    from lstm_automl.model.cells import PeepholeLSTM
    from lstm_automl.model.hypermodel import build_model

    specs = config(layers=3, cell={"choice": MIXED, "per_layer": True}, bidirectional=True,
                   units=4).search.specs()
    hp = kt.HyperParameters()
    declare_space(hp, specs)
    hp.values.update(cell_0="peephole", cell_1="simple_rnn", cell_2="gru")
    values = declare_space(hp, specs)
    masked = build_model(values, ModelShape(9, 2, 3, "classify", masked=True), seed=1)
    layers = [masked.get_layer(f"bidirectional_{i}").forward_layer for i in range(3)]
    assert [type(layer) for layer in layers] == [PeepholeLSTM, keras.layers.SimpleRNN,
                                                 keras.layers.GRU]
    assert masked.name == "peephole_simple_rnn_gru_x3_bi"
    # Padding after the end changes nothing, whatever the family of each layer.
    plain = build_model(values, ModelShape(5, 2, 3, "classify"), seed=1)
    plain.set_weights(masked.get_weights())
    short = np.random.default_rng(0).normal(size=(2, 5, 2)).astype("float32")
    padded = np.concatenate([short, np.zeros((2, 4, 2), dtype="float32")], axis=1)
    np.testing.assert_allclose(masked.predict(padded, verbose=0),
                               plain.predict(short, verbose=0), rtol=1e-5, atol=1e-6)
    history = masked.fit(padded, np.array([0, 2]), epochs=1, verbose=0)  # it trains too
    assert np.isfinite(history.history["loss"][0])


def test_kernel_tag_is_cudnn_only_when_every_layer_is():
    both = {"cell_0": "lstm", "cell_1": "gru", "recurrent_dropout": 0.0}
    assert trial_kernel(both, gpu=True).kernel == "cudnn"
    assert trial_kernel({**both, "cell_1": "simple_rnn"}, gpu=True).kernel == "generic"
    assert "simple_rnn" in trial_kernel({**both, "cell_1": "simple_rnn"}, gpu=True).reason
    assert trial_kernel(both, gpu=True, backend="jax").kernel == "generic"  # gru: no cuDNN
    assert trial_kernel({"cell": ["lstm", "lstm"]}, gpu=True, backend="jax").kernel == "cudnn"
    assert trial_kernel(both, gpu=False).kernel == "cpu"
    assert cell_label(both) == "lstm/gru" and cell_label({"cell": "gru"}) == "gru"
    notes = space_kernel_notes(config(cell={"choice": ["lstm", "peephole"], "per_layer": True},
                                      layers=2).search.specs())
    assert any("trials with any peephole layer" in n for n in notes), notes


def test_summary_size_identity_and_schema():
    import jsonschema

    from lstm_automl.sweep_file.json_schema import sweep_schema

    specs = config(layers={"choice": [1, 2]}, cell=PER_LAYER).search.specs()
    assert ("cell", "choice of lstm, gru, per layer") in summary_rows(specs)
    assert space_size(specs) == 2 + 4  # one layer: 2 cells; two layers: 2 x 2
    shared = sweep_identity(config(cell={"choice": ["lstm", "gru"]}), "min", "x")
    apart = sweep_identity(config(cell=PER_LAYER), "min", "x")
    assert shared["search.cell"] != apart["search.cell"]  # a resume across the change refuses
    document = {"name": "c", "data": {"source": "builtin:airline"}, "search": {"cell": PER_LAYER}}
    jsonschema.validate(document, sweep_schema())
    document["search"]["layers"] = {"choice": [1, 2], "per_layer": True}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, sweep_schema())


def test_validate_shows_it_and_refuses_a_bad_family_in_one_line(
        isolated_workdir: Path, capsys: pytest.CaptureFixture[str]):
    head = "name: c\ndata: {source: builtin:airline}\nsearch:\n  layers: 2\n"
    good = write_sweep(isolated_workdir, head + "  cell: {choice: [lstm, gru], per_layer: true}\n")
    assert main(["validate", str(good)]) == 0
    assert "choice of lstm, gru, per layer" in capsys.readouterr().out
    bad = write_sweep(isolated_workdir, head + "  cell: {choice: [lstm, lsmt], per_layer: true}\n",
                      name="bad.yaml")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "search.cell.choice: 'lsmt' is not allowed" in err[0], err
    assert str(bad) in err[0]
