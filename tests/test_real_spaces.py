"""The corpus of real search spaces (tests/real_spaces/) stays valid as the project changes.

Twelve search spaces that people wrote for keras-tuner, Optuna, W&B Sweeps, Ray Tune,
neuralforecast, Ludwig and others, rewritten as sweep files (tests/real_spaces/README.md says
where each comes from and what it lost). Each must pass ``lstm-sweep validate`` and the JSON
Schema that ``lstm-sweep schema`` prints. Light: no training, no TensorFlow.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from types import ModuleType

import pytest
from jsonschema import Draft202012Validator

from conftest import PROJECT_ROOT
from lstm_automl.cli import main
from lstm_automl.sweep_file.yaml_text import parse_yaml
from tool_modules import load_module

CORPUS = PROJECT_ROOT / "tests" / "real_spaces"
FILES = sorted(CORPUS.glob("*.yaml"))


def _schema_tests() -> ModuleType:
    """tests/config/test_schema.py, for its error formatter (one validator, one wording)."""
    path = PROJECT_ROOT / "tests" / "config" / "test_schema.py"
    return load_module(path, "_real_spaces_schema_tests", register=False)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    """What ``lstm-sweep schema`` prints, as a validator (as in tests/config/test_schema.py)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    return Draft202012Validator(json.loads(out.getvalue()))


def test_the_corpus_holds_twelve_documented_spaces():
    assert len(FILES) == 12
    table = (CORPUS / "README.md").read_text()
    for path in FILES:
        assert f"`{path.name}`" in table, f"{path.name} is not in tests/real_spaces/README.md"
        assert path.read_text().startswith("# Source: "), f"{path.name} lacks its source header"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_real_space_validates(path: Path):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path), "--no-data"])
    assert code == 0, err.getvalue() + out.getvalue()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_real_space_fits_the_schema(path: Path, validator: Draft202012Validator):
    errors = _schema_tests()._errors(validator, parse_yaml(path.read_text(), str(path)))
    assert errors == []
