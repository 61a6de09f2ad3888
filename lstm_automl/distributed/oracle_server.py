"""Serve a sweep's keras-tuner oracle to worker processes over gRPC (keras-tuner's protocol).

keras-tuner's own chief (``tuner.search`` with KERASTUNER_TUNER_ID=chief) blocks in a loop that
notices the end only every 20 seconds and cannot be supervised. This serves the same servicer
from the launching process, which keeps the live oracle for the final evaluation, polls the end
twice a second and watches its workers meanwhile. keras-tuner's servicer (the counterpart of
the client its workers use) comes from the fenced module ``tuning._keras_tuner_private``.
"""

from __future__ import annotations

import os
from concurrent import futures
from typing import Any

from lstm_automl.errors import SweepError
from lstm_automl.tuning import _keras_tuner_private as private


def quiet_keras_tuner() -> None:
    """No debug print from keras-tuner on every gRPC trial message, no gRPC fork notices."""
    private.silence_condition_prints()
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # fork notices when workers restart


class OracleServer:
    """A gRPC server around one oracle; ``fatal`` is set when the oracle stops the sweep."""

    def __init__(self, oracle: Any, host: str, port: int) -> None:
        import grpc

        quiet_keras_tuner()
        self.oracle = oracle
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        self.servicer = private.serve_oracle(self.server, oracle)
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise SweepError(f"cannot serve the oracle on {host}:{port} (port in use?)")
        self.server.start()

    @property
    def fatal(self) -> str | None:
        return self.servicer.fatal

    def finished(self) -> bool:
        """Every trial handed out, none running, and every worker told to stop."""
        return private.servicer_stopped(self.servicer) and private.chief_may_exit(self.oracle)

    def searching_done(self) -> bool:
        """The oracle has nothing more to hand out and no trial is running."""
        stopped = private.servicer_stopped(self.servicer)
        return stopped and not private.has_running_trials(self.oracle)

    def stop(self, grace: float = 2.0) -> None:
        self.server.stop(grace).wait(grace + 1)
