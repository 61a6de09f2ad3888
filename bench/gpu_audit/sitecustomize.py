"""Import audit for the GPU check's dry run: at exit, each Python process started with this folder
on PYTHONPATH and ``GPU_CHECK_AUDIT`` set writes the files it imported from the bundle's folder
(``GPU_CHECK_SITE``) into ``$GPU_CHECK_AUDIT/<pid>.txt``. bench/gpu_check.py reads them back to
say which bundled distributions nothing imported (candidates to drop from bench/gpu_bundle.txt).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys


def _dump() -> None:
    site, folder = os.environ.get("GPU_CHECK_SITE", ""), os.environ.get("GPU_CHECK_AUDIT", "")
    if not site or not folder:
        return
    files = sorted({str(getattr(m, "__file__", "") or "") for m in list(sys.modules.values())})
    files = [f for f in files if f.startswith(site)]
    try:
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "w", encoding="utf-8") as out:
            out.write("\n".join([" ".join(sys.argv[:3]), *files]) + "\n")
    except OSError:
        pass


def _on_term(signum: int, frame: object) -> None:  # the mlflow server is stopped by SIGTERM
    _dump()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


if os.environ.get("GPU_CHECK_AUDIT"):
    atexit.register(_dump)
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_term)
    except ValueError:
        pass


def _chain() -> None:
    """Run the sitecustomize this one shadows, if the interpreter has one further down the path
    (an image may set things up there)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    for folder in sys.path:
        candidate = os.path.join(folder or ".", "sitecustomize.py")
        if os.path.abspath(folder or ".") == here or not os.path.isfile(candidate):
            continue
        spec = importlib.util.spec_from_file_location("_shadowed_sitecustomize", candidate)
        if spec is not None and spec.loader is not None:
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        return


_chain()
