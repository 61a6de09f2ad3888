"""``lstm-sweep validate``: check a sweep file (and its data) and summarise the space.

Reads only: it never imports TensorFlow and never touches MLflow.
"""

from __future__ import annotations

import argparse

from lstm_automl.config.space_summary import (
    budget_text,
    final_model_text,
    space_text,
    sweep_space,
)
from lstm_automl.model.backend import BACKENDS, INSTALL, choose_backend, installed
from lstm_automl.model.kernel_tags import space_kernel_notes
from lstm_automl.resume.folder_safety import check_sweep_file_folder
from lstm_automl.sweep_file.loader import add_data_notes, load_sweep


def validate_command(args: argparse.Namespace) -> int:
    loaded = load_sweep(args.sweep_file, getattr(args, "overrides", None) or [])
    check_sweep_file_folder(loaded.config, args.sweep_file)  # what `run` would refuse
    data = None
    if not args.no_data:
        from lstm_automl.data import load_data, load_variants

        variants = load_variants(loaded)  # every searched data variant must be usable too
        data = load_data(loaded)  # a data error must stop before anything says "valid"
        add_data_notes(loaded, data, variants)
    config = loaded.config
    print(f"{args.sweep_file}: valid sweep '{config.name}' ({config.data.task}, "
          f"{config.tuner.algorithm} search, objective {config.tuner.objective})")
    rows, size = sweep_space(config)
    width = max((len(n) for n, _ in rows), default=0)
    print("searched:" if rows else "searched: nothing (every value is fixed)")
    for name, text in rows:
        print(f"  {name:<{width}}  {text}")
    print(f"space size: {space_text(config, size)}")
    budget = budget_text(config)
    if budget:
        print(f"budget: {budget}")
    final = final_model_text(config)
    if final:
        print(f"final model: {final}")
    if loaded.preset_choices:
        print(f"preset {loaded.preset} (the values this file leaves out):")
        for line in loaded.preset_choices:
            print(f"  {line}")
    backend = choose_backend(config.training.backend)  # what `run` would take here (no import)
    print(backend.line())
    if backend.name in BACKENDS and not installed(backend.name):
        loaded.notes.append(f"training.backend: {backend.name} is not installed here; `run` "
                            f"refuses it until it is ({INSTALL[backend.name]})")
    if data is not None:
        print(f"data: {data.describe()}")
        for key, value in data.summary().items():
            if key != "source":
                print(f"  {key}: {value}")
    # On a GPU the sweep's run header shows these too; validate shows them on any machine,
    # since the file may be meant for a GPU elsewhere.
    kernel_notes = [n for n in space_kernel_notes(config.search.specs(), backend.name)
                    if n not in loaded.notes]
    for note in [*loaded.notes, *kernel_notes]:
        print(f"note: {note}")
    return 0
