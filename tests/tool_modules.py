"""Load a script that is not part of the package (tools/*.py, a test file) as a module by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(path: Path, name: str, *, register: bool = True) -> ModuleType:
    """Execute the file at ``path`` as module ``name``; ``register`` puts it in sys.modules first,
    which dataclasses and pickling inside the file need to find their own module."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
