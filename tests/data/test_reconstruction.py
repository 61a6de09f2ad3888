"""``data.scorer: autoencoder``: the keys validate refuses, the windows and their cover of
every row, and, with a real autoencoder trained on a clear synthetic case, reconstruction
scores that stand out on the injected anomalies."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, write_sweep
from lstm_automl.cli import main
from lstm_automl.config.schema import DetectDataConfig
from lstm_automl.data.reconstruction import ReconstructionData, prepare_detector
from lstm_automl.data.window_errors import covered_mean, covering_starts

DATA = "{task: detect, source: builtin:anomalies, lookback: 12, scorer: autoencoder"


def _validate(folder, text: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["validate", str(write_sweep(folder, text))])
    return code, err.getvalue()


@pytest.mark.parametrize("extra, key", [
    (", transform: diff}", "transform"),
    (", calendar: auto}", "calendar"),
    ("}\nsearch: {residual: {choice: [none, seasonal_naive]}}", "residual"),
    ("}\nsearch: {window_norm: last}", "window_norm"),
    ("}\nsearch: {fcn_branch: true}", "fcn_branch"),
])
def test_keys_an_autoencoder_has_no_use_for_are_refused(tmp_path, extra, key):
    code, err = _validate(tmp_path, f"name: d\ndata: {DATA}{extra}\n")
    assert code == 2, err
    assert key in err and "autoencoder" in err
    assert not (tmp_path / "mlflow.db").exists()


def test_the_forecaster_stays_the_default_and_keeps_its_identity():
    config = DetectDataConfig(task="detect", source="builtin:anomalies", lookback=12)
    assert config.scorer == "forecast" and "scorer" not in config.model_dump()


def test_every_row_of_each_split_is_covered_and_no_validation_window_reads_a_test_row():
    config = DetectDataConfig(task="detect", source="builtin:anomalies", lookback=12,
                              scorer="autoencoder", training_anomalies="drop")
    data = prepare_detector(config, PROJECT_ROOT)
    assert isinstance(data, ReconstructionData)
    assert data.model_shape().task == "reconstruct"
    for split in ("validation", "test"):
        windows = data.splits[split] if split == "test" else data.scoring[split]
        cover = covered_mean(windows.index, np.ones((len(windows.index), 12)), len(data.series))
        assert not np.isnan(cover[data.scored_rows(split)]).any(), split
    val_end = data.split_rows["validation"][1]
    assert (data.scoring["validation"].index + 12 <= val_end).all()
    train = data.splits["train"]
    assert (train.index + 12 <= data.split_rows["train"][1]).all()
    assert not data.labels[train.index[:, None] + np.arange(12)].any()  # dropped
    np.testing.assert_array_equal(train.x.reshape(len(train.x), -1), train.y)  # the window
    assert list(covering_starts((5, 7), 3, 10)) == [3, 4, 5, 6]
    assert data.preview(1)[0].startswith("train window 0: 2024-01-01 00:00..2024-01-01 11:00:")


@pytest.mark.usefixtures("keras_session")
def test_reconstruction_scores_stand_out_on_injected_anomalies(tmp_path):
    import keras_tuner as kt

    from lstm_automl.config.schema import SearchConfig
    from lstm_automl.model.hypermodel import build_model
    from lstm_automl.model.space import declare_space

    rows = 1000
    t = np.arange(rows)
    rng = np.random.default_rng(0)
    values = np.sin(2 * np.pi * t / 24) + 0.05 * rng.standard_normal(rows)
    labels = np.zeros(rows, np.int64)
    for row in (760, 820, 880, 940):  # validation and test rows (the split is 70/15/15)
        values[row] += 4.0
        labels[row] = 1
    pd.DataFrame({"t": t, "x": values, "bad": labels}).to_csv(tmp_path / "s.csv", index=False)
    config = DetectDataConfig(task="detect", source="s.csv", target="x", label="bad",
                              time_column="t", lookback=24, scorer="autoencoder")
    data = prepare_detector(config, tmp_path)
    values_hp = declare_space(kt.HyperParameters(),
                              SearchConfig.model_validate({"units": 16}).specs())
    model = build_model(values_hp, data.model_shape(), seed=1)
    train = data.splits["train"]
    model.fit(train.x, train.y, epochs=15, batch_size=32, verbose=0)
    test = data.splits["test"]
    scores = data.row_scores(test, model.predict(test.x, verbose=0))[data.scored_rows("test")]
    flags = data.labels[data.scored_rows("test")] == 1
    assert flags.sum() >= 1
    assert scores[flags].min() > 3 * np.median(scores[~flags])
