"""Which Keras 3 backend a process trains on, chosen before anything imports Keras.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, and the backend is then fixed for
the life of the process. So the run path calls ``select_backend`` right after reading the sweep
file and before any import of Keras; child processes (recycled segments, local workers) inherit
the choice through their environment (``child_env``).

Which setting wins, first to last: ``--backend``, ``training.backend`` when not ``auto``, a
``KERAS_BACKEND`` the user set, then ``auto``: of TensorFlow and JAX, the one estimated faster
for this sweep (``backend_costs.py``: fixed cost per trial against time per step), else the
fastest installed backend, JAX, then TensorFlow, then PyTorch (``MEASURED``; docs/backends.md).
Where Keras is already imported (a test process, a notebook), ``auto`` keeps its backend, and an
explicit other one is an error.

Light on purpose: no Keras, TensorFlow, JAX or PyTorch import here (``validate`` uses it).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_automl.errors import ConfigError
from lstm_automl.model.backend_costs import SweepWork, faster_for

ENV = "KERAS_BACKEND"
# Set only in the environment of the processes lstm-sweep starts (recycled segments, local
# workers): "name|reason", so a child runs what its parent chose, and says why.
INHERITED_ENV = "LSTM_SWEEP_BACKEND"
BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_CHOICES = ("auto", *BACKENDS)
# The packages (and modules) each backend needs: a saved model's pip requirements too.
PACKAGES = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}
INSTALL = {"tensorflow": "pip install tensorflow", "jax": "pip install -e '.[jax]' (or "
           "pip install 'jax[cpu]')", "torch": "pip install torch"}
# Fastest first, by the per-epoch measurement in the module docstring (no GPU figure yet: the
# same order is used there).
SPEED_ORDER = ("jax", "tensorflow", "torch")
MEASURED = {"jax": "0.80 s", "tensorflow": "1.8-2.6 s", "torch": "14 s"}


@dataclass(frozen=True)
class BackendChoice:
    """The backend this process runs and why (one short clause for the console header)."""

    name: str
    reason: str

    def line(self) -> str:
        return f"backend: {self.name} ({self.reason})"


def installed(name: str) -> bool:
    """Whether the backend's modules can be imported here, without importing them."""
    for module in PACKAGES[name]:
        if module in sys.modules:
            if sys.modules[module] is None:  # import blocked on purpose
                return False
            continue
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def imported_backend() -> str | None:
    """The backend of the Keras already imported in this process, else None."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    return str(keras.backend.backend())


# What ``auto`` is told of the sweep: its work, or how to find it (None: not known).
Work = Callable[[], "SweepWork | None"]


def fastest_installed(work: Work | None = None) -> BackendChoice:
    """``auto``: of the backends found here, the faster for this sweep's work where it is known
    and both TensorFlow and JAX are installed (``backend_costs.py``), else the fastest epoch."""
    found = [name for name in SPEED_ORDER if installed(name)]
    if not found:
        raise ConfigError("training.backend", ["auto: none of tensorflow, jax or torch is "
                                               "installed (pip install -e '.[jax]')"])
    both = [name for name in found if name in ("jax", "tensorflow")]
    known = work() if work is not None and len(both) == 2 else None
    if known is not None:
        return BackendChoice(*faster_for(known, both))
    measured = ", ".join(f"{name} {MEASURED[name]}" for name in found)
    return BackendChoice(found[0], f"auto: fastest installed; an LSTM epoch on CPU took "
                                   f"{measured}")


def choose_backend(configured: str = "auto", flag: str | None = None,
                   work: Work | None = None) -> BackendChoice:
    """The backend for this process (see the module docstring for the order), unchecked;
    ``work`` tells ``auto`` what the sweep trains."""
    env = os.environ.get(ENV, "").strip()
    if flag and flag != "auto":
        return _explicit(flag, "--backend", env)
    name, _, reason = os.environ.get(INHERITED_ENV, "").partition("|")
    if name and name == env:  # the lstm-sweep process that started this one chose it
        return BackendChoice(name, reason or "chosen by the parent process")
    if configured != "auto" and not flag:
        return _explicit(configured, "training.backend", env)
    current = imported_backend()
    if current is not None:
        return BackendChoice(current, "auto: Keras was already imported with it")
    if env:
        return BackendChoice(env, f"{ENV} set in the environment")
    return fastest_installed(work)


def _explicit(name: str, source: str, env: str) -> BackendChoice:
    if env and env != name:
        return BackendChoice(name, f"{source}; overrides {ENV}={env}")
    return BackendChoice(name, source)


def select_backend(configured: str = "auto", flag: str | None = None,
                   sweep_file: str | None = None, work: Work | None = None) -> BackendChoice:
    """Choose, check and apply the backend: sets ``KERAS_BACKEND`` for this process and the
    processes it starts. Raises ConfigError (exit 2) for a backend that is unknown, not
    installed, or other than the one Keras was already imported with."""
    choice = choose_backend(configured, flag, work)
    if flag and flag != "auto":
        source, key = "--backend", ""
    elif configured != "auto" and not flag:
        source, key = sweep_file or "sweep file", "training.backend: "
    else:
        source, key = ENV, ""
    if choice.name not in BACKENDS:
        raise ConfigError(source, [f"{key}unknown backend {choice.name!r}; allowed: "
                                   f"{', '.join(BACKEND_CHOICES)}"])
    current = imported_backend()
    if current != choice.name and not installed(choice.name):
        raise ConfigError(source, [f"{key}{choice.name} is not installed "
                                   f"({INSTALL[choice.name]})"])
    if current is not None and current != choice.name:
        raise ConfigError(source, [f"{key}{choice.name}, but Keras is already imported in this "
                                   f"process with the {current} backend, which cannot change; "
                                   f"start a fresh process with {ENV}={choice.name}"])
    os.environ[ENV] = choice.name
    global _selected
    _selected = choice
    return choice


_selected: BackendChoice | None = None  # what select_backend chose in this process


def current_choice() -> BackendChoice:
    """The backend this process runs and why: ``select_backend``'s answer, else Keras' own."""
    name = active_backend()
    if _selected is not None and _selected.name == name:
        return _selected
    why = "Keras was already imported with it" if imported_backend() else \
        f"{ENV}" if os.environ.get(ENV) else "Keras' default"
    return BackendChoice(name, why)


def keep_tensorflow_out() -> None:
    """Off the TensorFlow backend, stop Keras from importing TensorFlow anyway.

    Keras asks its lazy ``tensorflow`` module whether TensorFlow is installed in helpers that
    every run calls (``keras.utils.set_random_seed`` seeds ``tf.random`` "since many workflows
    use tf.data"; model saving checks for ``tf.TensorShape``), and asking imports it: seconds
    and hundreds of MB in every JAX process. Nothing here uses TensorFlow off its backend, so
    the lazy module is told it is absent (Keras-private API, ``keras.src.utils.module_utils``
    in Keras 3.15; a Keras without it is left as it is).
    """
    keras = sys.modules.get("keras")
    if keras is None or keras.backend.backend() == "tensorflow":
        return
    try:
        from keras.src.utils import module_utils
    except ImportError:
        return
    lazy = getattr(module_utils, "tensorflow", None)
    if lazy is not None and getattr(lazy, "module", None) is None and hasattr(lazy, "_available"):
        lazy._available = False


JAX_CACHE_MAX_BYTES = 1 << 30  # least recently used entries go beyond this


def jax_cache_folder() -> Path:
    """Where compiled JAX programs are kept between processes unless JAX was told
    (``JAX_COMPILATION_CACHE_DIR``): ``$XDG_CACHE_HOME/lstm-sweep/jax``, by default
    ``~/.cache/lstm-sweep/jax``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lstm-sweep" / "jax"


def jax_cache_state() -> str:
    """The persistent JAX compile cache in words, for the run header: where it is and how many
    programs it holds (``use_jax_compile_cache`` turns it on), or that it is off."""
    folder, enabled = _jax_cache_settings()
    if not enabled:
        return "compile cache off (JAX_ENABLE_COMPILATION_CACHE)"
    try:
        with os.scandir(folder) as entries:
            programs = sum(1 for entry in entries if entry.is_file())
    except OSError:
        programs = 0
    held = f"{programs} programs" if programs else "empty: every program compiles"
    return f"compile cache {folder} ({held})"


def _jax_cache_settings() -> tuple[Path, bool]:
    """The cache folder and whether it is on: JAX's own settings once JAX is imported, else
    what they will be (its environment variables, then ours)."""
    jax = sys.modules.get("jax")
    if jax is not None:
        config: Any = jax.config
        folder = config.jax_compilation_cache_dir or str(jax_cache_folder())
        return Path(folder), bool(config.jax_enable_compilation_cache)
    off = os.environ.get("JAX_ENABLE_COMPILATION_CACHE", "").strip().lower() in (
        "0", "false", "no", "off")
    folder = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(jax_cache_folder())
    return Path(folder), not off


def use_jax_compile_cache() -> None:
    """On JAX, keep every compiled XLA program on disk, keyed by JAX on the program itself.

    Each trial builds new Keras functions, so JAX's in-memory cache never hits; compiling is
    most of a short trial (measured: 5.5 s of a 6 s two-epoch GRU trial). Trials of the same
    architecture, a refit's seeds, recycled processes and resumed sweeps then load it instead
    (0.6 s). JAX reads the folder once per process, so it is one folder per machine, never
    per sweep. ``JAX_ENABLE_COMPILATION_CACHE=false`` turns it off.
    """
    if active_backend() != "jax" or "jax" not in sys.modules:
        return
    import jax

    config: Any = jax.config  # its options are attributes JAX adds at run time
    if not config.jax_enable_compilation_cache:
        return
    if not config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(jax_cache_folder()))
        jax.config.update("jax_compilation_cache_max_size", JAX_CACHE_MAX_BYTES)
    # JAX caches only programs that took a second to compile; a small trial's are all quicker.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def prepare_backend() -> None:
    """What a process that trains does once Keras is imported (see the two functions)."""
    keep_tensorflow_out()
    use_jax_compile_cache()


def child_env() -> dict[str, str]:
    """What a child process's environment needs to run this process's backend (add it to the
    ``env`` of ``subprocess.Popen``; never to ``os.environ``, which tests share)."""
    choice = current_choice()
    return {ENV: choice.name, INHERITED_ENV: f"{choice.name}|{choice.reason}"}


def packed_gpu_env(share: float) -> dict[str, str]:
    """What a trial process needs when it gets ``share`` of a GPU (several trials on one).

    By default JAX takes 75% of the GPU's memory at start and TensorFlow all of it, so the
    second trial on a device fails at its first allocation. JAX then allocates on demand, up to
    its share (``XLA_PYTHON_CLIENT_MEM_FRACTION``, with some room for the CUDA context), and
    TensorFlow grows as it needs. A trial that still runs out gets an out-of-memory error, which
    the tuner records as a failed trial (tuning/tuners.py ``is_out_of_memory``).
    """
    env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    if 0 < share < 1:
        env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{share * 0.95:.3f}"
    return env


def active_backend() -> str:
    """The backend Keras runs (or will run) in this process, without importing Keras."""
    return imported_backend() or os.environ.get(ENV, "").strip() or "tensorflow"


__all__ = ["BACKENDS", "BACKEND_CHOICES", "BackendChoice", "active_backend", "choose_backend",
           "child_env", "current_choice", "installed", "keep_tensorflow_out", "packed_gpu_env",
           "prepare_backend", "select_backend", "use_jax_compile_cache"]
