"""keras-tuner's private API stays behind one fence (lstm_automl/tuning/_keras_tuner_private.py),
and the installed keras-tuner still has every private name the fence relies on, with the
signature it was written against."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from lstm_automl.tuning._keras_tuner_private import PRIVATE_API, PrivateName

PACKAGE = Path(__file__).resolve().parents[2] / "lstm_automl"
FENCE = PACKAGE / "tuning" / "_keras_tuner_private.py"
# keras-tuner attributes without a leading underscore that are undocumented internals all the same.
UNDOCUMENTED = ("end_order", "start_order", "ongoing_trials", "stop_triggered", "exit_chief",
                "OracleServicer", "SaveBestEpoch", "maybe_compute_model_size")


def keras_tuner_private_names() -> set[str]:
    """Every ``_name`` keras-tuner defines or reads on an object, from its installed source."""
    spec = importlib.util.find_spec("keras_tuner")
    assert spec is not None and spec.origin is not None
    names: set[str] = set()
    for path in Path(spec.origin).parent.rglob("*.py"):
        if path.name.endswith("_test.py") or "protos" in path.parts:
            continue
        text = path.read_text(errors="replace")
        names |= set(re.findall(r"\.(_[A-Za-z]\w*)", text))
        names |= set(re.findall(r"^\s+def (_[A-Za-z]\w*)", text, re.MULTILINE))
    return {n for n in names if not n.startswith("__")}


def offences(text: str, private: set[str]) -> list[str]:
    """Lines of ``text`` that reach into keras-tuner outside the fence."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        hits = [m for m in ("keras_tuner.src", "kt.src", "kt_config") if m in line]
        hits += [n for n in re.findall(r"\.(_[A-Za-z]\w*)", code) if n in private]
        hits += [n for n in re.findall(r"^\s+def (_[A-Za-z]\w*)", code) if n in private]
        hits += [n for n in re.findall(r"[\"'](_[A-Za-z]\w*)[\"']", code) if n in private]
        hits += [n for n in UNDOCUMENTED if re.search(rf"\.{n}\b", code)]
        if hits:
            found.append(f"{number}: {', '.join(hits)}: {line.strip()}")
    return found


def test_no_keras_tuner_private_api_outside_the_fence() -> None:
    private = keras_tuner_private_names()
    assert {"_try_build", "_build_and_fit_model", "_retry_queue"} <= private  # the scan works
    bad = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != FENCE and (lines := offences(path.read_text(), private)):
            bad[str(path.relative_to(PACKAGE.parent))] = lines
    assert not bad, ("keras-tuner private API used outside lstm_automl/tuning/"
                     f"_keras_tuner_private.py (add a named function there instead): {bad}")


def test_the_scan_catches_what_it_must() -> None:
    private = keras_tuner_private_names()
    sample = ("    def _try_build(self, hp):\n"
              "x = oracle._retry_queue\n"
              "from keras_tuner.src import config as kt_config\n"
              "getattr(oracle, '_ordered_ids', None)\n"
              "n = len(oracle.end_order)\n"
              "self._current = None  # our own private attribute is fine\n")
    assert [line.split(":")[0] for line in offences(sample, private)] == ["1", "2", "3", "4", "5"]


def _resolve(dotted: str) -> Any:
    """A module, or a class inside one, from its dotted path."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(dotted)


def _instance(owner: type) -> Any:
    """A fresh instance, to see the attributes ``__init__`` sets."""
    import keras_tuner as kt

    if issubclass(owner, kt.Oracle):
        return owner(objective=kt.Objective("score", "min"), max_trials=1)
    if owner.__name__ == "OracleServicer":
        return owner(kt.oracles.RandomSearchOracle(objective="val_loss", max_trials=1))
    return owner()


@pytest.mark.parametrize("name", PRIVATE_API, ids=lambda n: n.path.removeprefix("keras_tuner."))
def test_private_api_still_has_the_signature_the_fence_expects(name: PrivateName) -> None:
    import keras_tuner

    version = keras_tuner.__version__
    try:
        owner = _resolve(name.owner)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"keras-tuner {version}: {name.owner} is gone ({exc}); "
                    f"lstm_automl/tuning/_keras_tuner_private.py needs it for {name.name}")
    holder = _instance(owner) if name.instance else owner
    if not hasattr(holder, name.name):
        where = "instances of " if name.instance else ""
        pytest.fail(f"keras-tuner {version}: {where}{name.owner} no longer have {name.name}; "
                    f"lstm_automl/tuning/_keras_tuner_private.py relies on it"
                    + (f" with signature {name.name}{name.signature}" if name.signature else ""))
    if name.signature is None:
        return
    found = str(inspect.signature(getattr(holder, name.name)))
    assert found == name.signature, (
        f"keras-tuner {version} changed {name.path}: expected {name.name}{name.signature}, "
        f"found {name.name}{found}. Check what lstm_automl/tuning/_keras_tuner_private.py does "
        f"with it, then update PRIVATE_API there.")


def test_every_private_name_the_fence_uses_is_listed() -> None:
    """A private name used in the fence but missing from PRIVATE_API would escape the check."""
    listed = {n.name for n in PRIVATE_API}
    private = keras_tuner_private_names()
    used = {n for n in re.findall(r"\.(_[A-Za-z]\w*)", FENCE.read_text()) if n in private}
    used |= {n for n in re.findall(r"[\"'](_[A-Za-z]\w*)[\"']", FENCE.read_text()) if n in private}
    assert used <= listed, f"add to PRIVATE_API: {sorted(used - listed)}"


def test_pinned_below_the_next_minor_release() -> None:
    text = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '"keras-tuner>=1.4.7,<1.5"' in text
    import keras_tuner

    assert keras_tuner.__version__.startswith("1.4."), (
        f"keras-tuner {keras_tuner.__version__} is outside the range the fence was checked for")
