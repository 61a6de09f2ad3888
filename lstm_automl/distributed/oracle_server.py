"""Serve a sweep's keras-tuner oracle to worker processes over gRPC (keras-tuner's protocol).

keras-tuner's own chief (``tuner.search`` with KERASTUNER_TUNER_ID=chief) blocks in a loop that
notices the end only every 20 seconds and cannot be supervised. This serves the same servicer
from the launching process, which keeps the live oracle for the final evaluation, polls the end
twice a second and watches its workers meanwhile. Written against keras-tuner 1.4's
``keras_tuner.src.distribute`` (the same module its workers' clients use).
"""

from __future__ import annotations

import os
from concurrent import futures
from typing import Any


def quiet_keras_tuner() -> None:
    """keras-tuner 1.4.8 prints a condition's first value on every gRPC trial message (a left
    over debug ``print`` in conditions.py): silence that module's print, nothing else."""
    from keras_tuner.src.engine import conditions

    conditions.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # fork notices when workers restart


class OracleServer:
    """A gRPC server around one oracle; ``fatal`` is set when the oracle stops the sweep."""

    def __init__(self, oracle: Any, host: str, port: int) -> None:
        import grpc
        from keras_tuner.src import protos
        from keras_tuner.src.distribute import oracle_chief

        class Servicer(oracle_chief.OracleServicer):  # type: ignore[misc,name-defined]
            fatal: str | None = None

            def EndTrial(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
                try:
                    return super().EndTrial(request, context)
                except RuntimeError as exc:  # too many failures in a row: tell the launcher
                    self.fatal = str(exc).strip().splitlines()[0]
                    raise

        quiet_keras_tuner()
        self.oracle = oracle
        self.servicer = Servicer(oracle)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        protos.get_service_grpc().add_OracleServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            from lstm_automl.errors import SweepError

            raise SweepError(f"cannot serve the oracle on {host}:{port} (port in use?)")
        self.server.start()

    @property
    def fatal(self) -> str | None:
        return self.servicer.fatal

    def finished(self) -> bool:
        """Every trial handed out, none running, and every worker told to stop."""
        from keras_tuner.src.distribute import oracle_chief

        return bool(self.servicer.stop_triggered) and oracle_chief.exit_chief(self.oracle)

    def searching_done(self) -> bool:
        """The oracle has nothing more to hand out and no trial is running."""
        return bool(self.servicer.stop_triggered) and not self.oracle.ongoing_trials

    def stop(self, grace: float = 2.0) -> None:
        self.server.stop(grace).wait(grace + 1)
