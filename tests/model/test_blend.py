"""final_model.blend: greedy ensemble selection, the stored baselines, and a blended sweep whose
registered model serves from raw history the forecasts the sweep measured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.model.greedy import average_loss, greedy_counts, greedy_weights, paired_t


def _rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - p) ** 2)))


def test_greedy_selection_picks_the_better_member_alone():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(30, 2))
    good = actual + 0.1 * rng.normal(size=actual.shape)
    bad = actual + 2.0 + rng.normal(size=actual.shape)
    weights = greedy_weights(2, average_loss([bad, good], actual, _rmse))
    assert weights.tolist() == [0.0, 1.0]


def test_greedy_selection_mixes_members_whose_errors_cancel_and_weights_sum_to_one():
    actual = np.linspace(0.0, 1.0, 40)[:, None]
    high, low, far = actual + 1.0, actual - 1.0, actual + 5.0
    loss = average_loss([high, far, low], actual, _rmse)
    weights = greedy_weights(3, loss, rounds=20)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[1] == 0.0
    assert weights[0] == pytest.approx(0.5) and weights[2] == pytest.approx(0.5)
    # The same inputs give the same counts: ties go to the member listed first.
    assert greedy_counts(3, loss, 20).tolist() == greedy_counts(3, loss, 20).tolist()
    assert greedy_counts(2, lambda w: 1.0, 5).tolist() == [1, 0]  # kept at the first best round


def _members(forecasts: dict[str, np.ndarray], networks: int):
    """Members whose networks are already in original units (an identity inverse)."""
    from lstm_automl.model.blend import _Members

    names, arrays = list(forecasts), list(forecasts.values())
    members = _Members(names, arrays[:networks], dict(zip(names[networks:], arrays[networks:],
                                                          strict=True)))
    return members, lambda w: np.tensordot(w, np.stack(arrays), axes=1)


def _choose(forecasts: dict[str, np.ndarray], actual: np.ndarray):
    from lstm_automl.model.blend import choose_weights

    members, forecast = _members(forecasts, 1)
    return choose_weights(members, lambda w: _rmse(actual, forecast(w)))


def test_a_blend_whose_gain_rests_on_one_lucky_window_is_shrunk_toward_equal_weights():
    # Validation: the network is as noisy as the baselines, except that it got the one window
    # right that SARIMA missed badly. Greedy selection leans on it; on the test windows, with
    # no such luck, that mix loses to the shrunk weights (half of them equal).
    rng = np.random.default_rng(4)
    val = rng.normal(size=(16, 1))
    net, sarima, ar = (val + rng.normal(size=val.shape) for _ in range(3))
    ar += 1.5
    sarima[5], net[5] = val[5] + 6.0, val[5]
    weights, rule = _choose({"trial-1": net, "sarima": sarima, "ar": ar}, val)
    greedy = greedy_weights(3, average_loss([net, sarima, ar], val, _rmse))
    assert greedy[0] > 0.5  # greedy selection leans on the network
    np.testing.assert_allclose(weights, 0.5 * greedy + 0.5 * np.array([1, 1, 1]) / 3)
    assert weights.sum() == pytest.approx(1.0)
    assert rule.startswith("half greedy selection") and "sarima and ar" in rule
    test = rng.normal(size=(40, 1))
    members = [test + rng.normal(size=test.shape) for _ in range(3)]
    members[2] += 1.5
    assert _rmse(test, np.tensordot(weights, np.stack(members), 1)) < \
        _rmse(test, np.tensordot(greedy, np.stack(members), 1))


def test_only_the_two_best_validated_baselines_share_the_equal_half():
    rng = np.random.default_rng(5)
    val = rng.normal(size=(16, 2))
    net = val + 0.2 * rng.normal(size=val.shape)
    near, mid, far = (val + scale * rng.normal(size=val.shape) for scale in (0.5, 1.0, 3.0))
    weights, rule = _choose({"trial-1": net, "far": far, "mid": mid, "near": near}, val)
    greedy = greedy_weights(4, average_loss([net, far, mid, near], val, _rmse))
    equal = np.array([1, 0, 1, 1]) / 3
    np.testing.assert_allclose(weights, 0.5 * greedy + 0.5 * equal)
    assert weights[1] == greedy[1] / 2 and weights[0] > 0.5  # the better network leads
    assert "near and mid, the best validated baselines" in rule


def test_without_baselines_the_weights_are_greedy_selection_alone():
    from lstm_automl.model.blend import choose_weights

    val = np.zeros((8, 1))
    members, forecast = _members({"trial-1": val + 0.1, "trial-2": val - 0.3}, 2)
    weights, rule = choose_weights(members, lambda w: _rmse(val, forecast(w)))
    assert weights.sum() == pytest.approx(1.0) and rule.startswith("greedy selection")


def test_paired_t_is_large_for_a_clearly_better_blend_and_zero_for_a_tie():
    # bench/blend_rules.py's gated rules use it (the rule shipped before issue 21's shrinkage).
    rng = np.random.default_rng(7)
    val = rng.normal(size=(16, 2))
    net, sarima = val + 0.2 * rng.normal(size=val.shape), val + rng.normal(size=val.shape)
    forecast = lambda w: np.tensordot(w, np.stack([net, sarima]), 1)  # noqa: E731
    assert paired_t(forecast, val, np.array([1.0, 0.0]), np.array([0.0, 1.0])) > 3.0
    assert paired_t(forecast, val, np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0


def test_the_networks_enter_greedy_selection_together_as_their_equal_mean():
    # One trial happens to fit the validation windows best; the networks still share their
    # weight equally, as the final model averages them.
    from lstm_automl.model.blend import pooled_greedy

    rng = np.random.default_rng(6)
    val = rng.normal(size=(16, 1))
    lucky, other = val + 0.1 * rng.normal(size=val.shape), val + rng.normal(size=val.shape)
    far = val + 3.0
    members = [lucky, other, far]
    loss = average_loss(members, val, _rmse)
    assert greedy_weights(3, loss)[0] > 0.9  # greedy over the trials: nearly all on one
    weights = pooled_greedy(2, 3, loss)
    assert weights[0] == weights[1] > 0 and weights.sum() == pytest.approx(1.0)


def test_greedy_selection_may_start_from_given_counts():
    actual = np.zeros((10, 1))
    near, far = actual + 0.1, actual + 3.0
    loss = average_loss([near, far], actual, _rmse)
    assert greedy_counts(2, loss, 5, start=np.array([0, 4])).tolist()[1] == 4
    assert greedy_counts(2, loss, 5, start=np.array([0, 4]))[0] > 0


def test_weighted_networks_output_the_weighted_sum(keras_session):
    import keras

    from lstm_automl.model.blend import weighted

    members = [keras.Sequential([keras.Input((6, 1)), keras.layers.GRU(u), keras.layers.Dense(2)],
                                name="same_name") for u in (3, 5)]
    x = np.random.default_rng(0).normal(size=(4, 6, 1)).astype("float32")
    expected = 0.25 * members[0].predict(x, verbose=0) + 0.75 * members[1].predict(x, verbose=0)
    model = weighted(members, np.array([0.25, 0.75]))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_every_baseline_kind_round_trips_through_json_with_the_same_forecasts():
    import pandas as pd

    from lstm_automl.baselines.classical import classical_forecasts
    from lstm_automl.baselines.classical_spec import from_spec, to_spec
    from lstm_automl.config.builtin import datasets_dir

    y = pd.read_csv(Path(datasets_dir()) / "airline.csv")["passengers"].to_numpy(float)
    rows = np.arange(len(y) - 12, len(y) - 1)
    fitted, _ = classical_forecasts(y, len(y) - 12, rows, 2, 12, budget_s=20.0,
                                    validation_start=len(y) - 36, transform="log")
    kinds = set()
    for forecast in fitted:
        spec = json.loads(json.dumps(to_spec(forecast.model)))
        kinds.add(spec["kind"])
        rebuilt = from_spec(spec)
        np.testing.assert_allclose(rebuilt.forecast(y, rows, 2), forecast.predictions,
                                   rtol=1e-9)
        # From the history before the last origin only, as the pyfunc sees it.
        last = rebuilt.forecast(y[:rows[-1]], rows[-1:], 2)
        np.testing.assert_allclose(last[0], forecast.predictions[-1], rtol=1e-9)
    assert {"ar", "ets", "sarima", "adjusted"} <= kinds


def test_the_network_alone_is_judged_against_the_blends_strongest_baseline():
    from lstm_automl.results.blend_text import network_sentence
    from lstm_automl.results.verdict import judge

    baselines = {"ar": {"rmse": 12.0}, "sarima": {"rmse": 10.0}}
    verdict = judge({"rmse": 9.5}, baselines, "rmse", False, {"sarima": "SARIMA(0,1,1)"})
    assert verdict.beats
    line = network_sentence(verdict, {"rmse": 11.0, "mae": 8.0})
    assert line.startswith("The network alone (without the baselines): LOSES to the strongest "
                           "baseline, sarima (SARIMA(0,1,1)) (rmse 10)")
    assert line.endswith("test rmse 11, 10.0% higher.")  # by how much, against sarima, not ar


@pytest.mark.parametrize(("data", "message"), [
    ("{source: builtin:GunPoint, task: classify}", "task classify has none"),
    ("{source: builtin:airline, target: [passengers, passengers2]}", "single data.target"),
])
def test_validate_refuses_a_blend_where_it_does_not_apply(tmp_path, capsys, data, message):
    path = write_sweep(tmp_path, f"name: x\ndata: {data}\n"
                                 f"final_model: {{blend: with_baselines}}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "final_model.blend" in err and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]


SWEEP = """
name: blended
seed: 3
data:
  source: builtin:airline
  lookback: 13
  horizon: 2
  transform: log
  split: {validation: 24, test: 12}
search:
  cell: gru
  units: {choice: [4, 8]}
  learning_rate: 1.0e-2
tuner: {algorithm: random, max_trials: 2}
training: {epochs: 2, early_stopping_patience: null}
final_model: {top_k: 2, blend: with_baselines}
tracking: {champion_must_beat_baseline: false}
"""


@pytest.mark.slow
@pytest.mark.backend_contract
def test_a_blended_sweep_serves_from_raw_history_the_forecast_it_measured(tmp_path, capsys):
    import mlflow
    import pandas as pd

    from lstm_automl.config.builtin import datasets_dir

    assert main(["run", str(write_sweep(tmp_path, SWEEP))]) == 0
    out = capsys.readouterr().out
    chosen = next(line for line in out.splitlines() if "Blend weights (chosen on validation, "
                  in line)
    assert "greedy selection" in chosen  # the rule, in a few words
    alone = next(line for line in out.splitlines() if "The network alone" in line)
    assert "the strongest baseline" in alone and ("% higher" in alone or "% lower" in alone)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("blended")
    parent = client.search_runs([exp.experiment_id], "tags.`lstm_sweep.kind` = 'sweep'")[0]
    summary = json.loads(Path(client.download_artifacts(
        parent.info.run_id, "summary.json", str(tmp_path))).read_text())
    weights = summary["blend_weights"]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert summary["blend_rule"] in chosen and parent.data.tags["lstm_sweep.blend_rule"]
    # Every candidate's validation and test forecasts, for comparing weight rules offline.
    arrays = np.load(client.download_artifacts(parent.info.run_id, "blend/members.npz",
                                               str(tmp_path)))
    for split in ("validation", "test"):
        assert arrays[split].shape == (len(arrays["names"]), *arrays[f"actual_{split}"].shape)
    assert arrays["test"].shape[2] == 2 and arrays["is_network"].any()
    assert {str(n): float(w) for n, w in zip(arrays["names"], arrays["weights"], strict=True)
            if w > 0} == pytest.approx(weights)
    assert summary["final_model"].startswith("blend of networks")
    network = summary["network_metrics"]["rmse"]
    assert parent.data.metrics["network_test_rmse"] == pytest.approx(network)
    assert f"rmse {network:.4g}" in out  # the network alone's score is on the console
    assert parent.data.tags["lstm_sweep.blend"]
    version = client.get_model_version("blended", "1")
    assert f"Blend weights (chosen on validation, {summary['blend_rule']}):" \
        in version.description and "network alone" in version.description
    # The registered pyfunc, from the raw history before the last test window, gives the
    # blended forecast the sweep logged for that window.
    table = pd.read_csv(client.download_artifacts(parent.info.run_id, "test_predictions.csv",
                                                  str(tmp_path)))
    logged = table.iloc[-1][["predicted_h1", "predicted_h2"]].to_numpy(float)
    history = pd.read_csv(Path(datasets_dir()) / "airline.csv")
    origin = int(table.iloc[-1]["row"])
    pyfunc = mlflow.pyfunc.load_model("models:/blended/1")
    served = pyfunc.predict(history.iloc[:origin])
    np.testing.assert_allclose(np.asarray(served, dtype=float)[0], logged, rtol=1e-4)
    # lstm-sweep predict serves the same from a CSV of that history.
    history.iloc[:origin].to_csv(tmp_path / "history.csv", index=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["predict", "--model", "models:/blended/1", "--input",
                 str(tmp_path / "history.csv"), "--output", str(tmp_path / "out.csv"),
                 "--tracking-uri", uri]) == 0
    np.testing.assert_allclose(pd.read_csv(tmp_path / "out.csv").to_numpy(float)[0], logged,
                               rtol=1e-4)
    # Recent rows alone cannot give the sweep's forecast: refused, naming the series' start.
    with pytest.raises(mlflow.exceptions.MlflowException, match="from the series' first row"):
        pyfunc.predict(history.iloc[origin - 40:origin])
    metric = np.sqrt(np.mean((table[["predicted_h1", "predicted_h2"]].to_numpy(float)
                              - table[["actual_h1", "actual_h2"]].to_numpy(float)) ** 2))
    assert summary["test_metrics"]["rmse"] == pytest.approx(metric, rel=1e-6)
    # The leaderboard shows the same weights and the network alone.
    assert main(["leaderboard", "blended"]) == 0
    board = capsys.readouterr().out
    assert f"Blend weights (chosen on validation, {summary['blend_rule']}):" in board
    assert "network alone" in board
