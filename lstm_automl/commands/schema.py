"""``lstm-sweep schema``: the JSON Schema of sweep files, for editors (no TensorFlow)."""

from __future__ import annotations

import argparse
import json

from lstm_automl.config import json_schema


def schema_command(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=args.indent))
    return 0
