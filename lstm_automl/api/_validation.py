"""``lstm_automl.validate`` and ``lstm-sweep validate``: check a sweep (and its data) and
describe what it would search. Reads only: no TensorFlow, no MLflow, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lstm_automl.config.space_summary import budget_text, final_model_text, space_text, sweep_space
from lstm_automl.data import load_data, load_variants
from lstm_automl.model.backend import BACKENDS, INSTALL, choose_backend, installed
from lstm_automl.model.backend_costs import sweep_work
from lstm_automl.model.kernel_tags import space_kernel_notes
from lstm_automl.model.python_model import check_names, load_builder
from lstm_automl.resume.folder_safety import check_sweep_file_folder
from lstm_automl.sweep_file.data_checks import add_data_notes
from lstm_automl.sweep_file.loader import LoadedSweep

__all__ = ["ValidatedSweep", "check"]


@dataclass(frozen=True)
class ValidatedSweep:
    """A sweep that passed every check ``run`` makes before it trains.

    Attributes:
        source: the file as given, or ``sweep dict``.
        config: the resolved configuration (defaults filled in, overrides written in).
        searched: ``(name, values)`` for every searched hyperparameter.
        space_size: how many distinct trials the space holds, in words.
        budget: the search's limits in words ('' when only max_trials).
        final_model: what would be registered, in words ('' for the best trial as trained).
        backend: the Keras backend ``run`` would take here, in words.
        data: the data in one line (None when the data was not loaded).
        data_summary: splits, ranges and shapes (empty when the data was not loaded).
        other_variants: each further data variant a searched data key makes, with its shapes
            (``data`` describes the first).
        notes: what the checks noticed that is not an error.
        preset: the preset that filled the keys the file leaves out ('' or 'none': nothing).
        preset_choices: each value the preset chose, with its reason.
    """

    source: str
    config: Any = field(repr=False)
    searched: list[tuple[str, str]]
    space_size: str
    budget: str
    final_model: str
    backend: str
    data: str | None
    data_summary: dict[str, Any]
    notes: list[str]
    preset: str = ""
    preset_choices: list[str] = field(default_factory=list)
    other_variants: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.config.name)

    def lines(self) -> list[str]:
        """What ``lstm-sweep validate`` prints."""
        config = self.config
        lines = [f"{self.source}: valid sweep '{config.name}' ({config.data.task}, "
                 f"{config.tuner.algorithm} search, objective {config.tuner.objective})"]
        width = max((len(n) for n, _ in self.searched), default=0)
        lines.append("searched:" if self.searched else "searched: nothing (every value is fixed)")
        lines += [f"  {name:<{width}}  {text}" for name, text in self.searched]
        lines.append(f"space size: {self.space_size}")
        lines += [f"budget: {self.budget}"] if self.budget else []
        lines += [f"final model: {self.final_model}"] if self.final_model else []
        if self.preset_choices:
            lines.append(f"preset {self.preset} (the values this file leaves out):")
            lines += [f"  {line}" for line in self.preset_choices]
        lines.append(self.backend)
        if self.data is not None:
            lines.append(f"data: {self.data}")
            lines += [f"  {k}: {v}" for k, v in self.data_summary.items() if k != "source"]
            if self.other_variants:
                lines.append("data, the other searched variants:")
                lines += [f"  {line}" for line in self.other_variants]
        return lines + [f"note: {note}" for note in self.notes]


def _check_python_names(loaded: LoadedSweep, data: Any) -> None:
    """``model.python``: build the function's model once on a recording ``hp`` (imports Keras,
    so only for such sweeps, and only with the data, whose shape the function reads)."""
    if loaded.config.model is None:
        return
    notes = check_names(load_builder(loaded), loaded.config, data.model_shape())
    loaded.notes.extend(n for n in notes if n not in loaded.notes)


def check(loaded: LoadedSweep, with_data: bool = True) -> ValidatedSweep:
    """Every check ``run`` makes before training: the folder it would use, and (``with_data``)
    the data and every searched data variant."""
    source = loaded.source or str(loaded.path)
    check_sweep_file_folder(loaded.config, source)  # what `run` would refuse
    data, variants = None, None
    if with_data:
        variants = load_variants(loaded)  # every searched data variant must be usable too
        data = load_data(loaded)  # a data error must stop before anything says "valid"
        add_data_notes(loaded, data, variants)
        _check_python_names(loaded, data)
    elif loaded.config.model is not None:
        loaded.notes.append("model.python: the function's hyperparameter names are checked "
                            "against lstm-sweep's own when the data is read (validate without "
                            "--no-data, or run)")
    config = loaded.config
    rows, size = sweep_space(config)
    work = None if data is None else lambda: sweep_work(config, len(data.splits["train"].x))
    backend = choose_backend(config.training.backend, work=work)  # what `run` would take here
    if backend.name in BACKENDS and not installed(backend.name):
        loaded.notes.append(f"training.backend: {backend.name} is not installed here; `run` "
                            f"refuses it until it is ({INSTALL[backend.name]})")
    # On a GPU the sweep's run header shows these too; validate shows them on any machine,
    # since the file may be meant for a GPU elsewhere.
    kernel_notes = [n for n in space_kernel_notes(config.search.specs(), backend.name)
                    if n not in loaded.notes]
    return ValidatedSweep(
        source=source, config=config, searched=list(rows), space_size=space_text(config, size),
        budget=budget_text(config) or "", final_model=final_model_text(config) or "",
        backend=backend.line(), data=None if data is None else data.describe(),
        data_summary={} if data is None else dict(data.summary()),
        notes=[*loaded.notes, *kernel_notes], preset=loaded.preset or "",
        preset_choices=list(loaded.preset_choices),
        other_variants=[] if variants is None else variants.described())
