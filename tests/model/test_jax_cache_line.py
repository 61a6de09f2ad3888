"""The run header's JAX compile cache note (issue 25): where the cache is, how full, or off."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lstm_automl.model.backend import jax_cache_state


@pytest.fixture(autouse=True)
def before_jax_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the run header of a process that has not imported JAX yet (the environment
    decides; once JAX is imported its own settings do)."""
    monkeypatch.delitem(sys.modules, "jax", raising=False)


def test_the_note_names_the_folder_and_counts_its_programs(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("JAX_ENABLE_COMPILATION_CACHE", raising=False)
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "lstm-sweep" / "jax"
    assert jax_cache_state() == f"compile cache {folder} (empty: every program compiles)"
    folder.mkdir(parents=True)
    (folder / "jit_train_step-abc").write_bytes(b"x")
    (folder / "jit_test_step-def").write_bytes(b"x")
    assert jax_cache_state() == f"compile cache {folder} (2 programs)"
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "own"))
    assert jax_cache_state() == f"compile cache {tmp_path / 'own'} (empty: every program compiles)"


def test_the_note_says_when_the_cache_is_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JAX_ENABLE_COMPILATION_CACHE", "false")
    assert jax_cache_state() == "compile cache off (JAX_ENABLE_COMPILATION_CACHE)"
