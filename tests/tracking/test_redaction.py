"""Credentials in a tracking URI stay out of the console, the error lines and the MLflow store
(issue 20, item 5): a real sweep against a real ``mlflow server`` whose URI carries a password,
read back from the store afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sweep
from lstm_automl.cli import main
from lstm_automl.redaction import redact

SECRET = "s3cretPW"


@pytest.mark.parametrize(("text", "shown"), [
    ("http://alice:s3cretPW@host:5000/x", "http://alice:***@host:5000/x"),
    ("https://ghp_tok@github.com/a", "https://***@github.com/a"),
    ("store http://u:p@w@h/ failed", "store http://u:***@h/ failed"),
    ("http://h/?token=abc&x=1", "http://h/?token=***&x=1"),
    ("https://h/a?access_token=zz#f", "https://h/a?access_token=***#f"),
    ("https://h/a?sig=1&X-Amz-Credential=2&api_key=3&monkey=4",
     "https://h/a?sig=***&X-Amz-Credential=***&api_key=***&monkey=4"),
    ("tracking_uri: 'http://a:b@h'  # note", "tracking_uri: 'http://a:***@h'  # note"),
])
def test_redact_hides_passwords_and_tokens_only(text: str, shown: str):
    assert redact(text) == shown


@pytest.mark.parametrize("text", ["sqlite:////tmp/x/mlflow.db", "name=foo", "val_loss 0.3",
                                  "file:///tmp/mlruns", "http://127.0.0.1:5000"])
def test_redact_leaves_plain_text_alone(text: str):
    assert redact(text) == text


def test_an_unreachable_store_names_the_user_not_the_password(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]):
    sweep = write_sweep(tmp_path, f"""
name: leaky
data: {{source: builtin:nile, lookback: 4}}
tuner: {{max_trials: 1}}
tracking: {{tracking_uri: "http://alice:{SECRET}@127.0.0.1:9/?token=tok{SECRET}"}}
""")
    for debug in ([], ["--debug"]):  # --debug prints the traceback: redacted too
        code = main([*debug, "run", str(sweep)])
        err = capsys.readouterr().err
        assert code == 1, err
        assert SECRET not in err
        assert "alice:***@127.0.0.1:9" in err


SWEEP = """
name: creds
seed: 3
data: {source: builtin:nile, lookback: 4, split: {validation: 0.2, test: 0.2}}
search: {units: 4}
tuner: {algorithm: random, max_trials: 1}
training: {epochs: 1, early_stopping_patience: null}
final_model: {refit: false}
tracking: {tracking_uri: "URI", champion_must_beat_baseline: false}
"""


@pytest.mark.slow
def test_a_sweep_records_no_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import mlflow

    from lstm_automl.distributed.mlflow_server import start_server

    server = start_server(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "artifacts",
                          tmp_path / "server.log")
    try:
        uri = server.uri.replace("http://", f"http://alice:{SECRET}@")
        sweep = write_sweep(tmp_path, SWEEP.replace("URI", uri))
        code = main(["run", str(sweep), "--set", f"tracking.tracking_uri={uri}"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert SECRET not in out + err
        assert "alice:***@127.0.0.1" in out  # the header still says which store
        client = mlflow.MlflowClient(tracking_uri=server.uri)
        experiment = client.get_experiment_by_name("creds")
        runs = client.search_runs([experiment.experiment_id])
        sweep_run = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
        recorded = [*sweep_run.data.tags.values(), *sweep_run.data.params.values()]
        for name in ("sweep.yaml", "sweep_effective.yaml"):
            local = client.download_artifacts(sweep_run.info.run_id, name, str(tmp_path))
            recorded.append(Path(local).read_text())
        assert any("alice:***@" in text for text in recorded)
        assert not [text for text in recorded if SECRET in text]
        state = [p.read_text() for p in tmp_path.rglob("lstm_sweep.json")]
        assert state and not [text for text in state if SECRET in text]
    finally:
        server.stop()
