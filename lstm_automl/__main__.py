"""``python -m lstm_automl`` runs the same CLI as ``lstm-sweep``."""

from lstm_automl.cli import entry

raise SystemExit(entry())
