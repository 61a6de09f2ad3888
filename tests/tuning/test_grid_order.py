"""tuner.grid_order: a grid larger than max_trials visited evenly or at random."""

from __future__ import annotations

import itertools
from pathlib import Path

import keras_tuner as kt
import pytest

from lstm_automl.config.schema import SweepConfig
from lstm_automl.model.space import declare_space
from lstm_automl.sweep_file.loader import load_sweep
from lstm_automl.tuning.grid_order import grid_blocks, visit_order
from tests.conftest import write_sweep


def four_by_three() -> list:
    hp = kt.HyperParameters()
    for name in "abcd":
        hp.Choice(name, [1, 2, 3])
    return hp.space


def first(order: str, space: list, count: int, seed: int = 1) -> list[dict]:
    return list(itertools.islice(visit_order(grid_blocks(space), order, seed), count))


@pytest.mark.parametrize("order", ["even", "random"])
def test_no_cell_twice_and_all_cells_in_the_end(order: str):
    cells = first(order, four_by_three(), 100)
    assert len(cells) == 81
    assert len({tuple(sorted(c.items())) for c in cells}) == 81


def test_even_tries_every_value_of_every_parameter_at_once():
    cells = first("even", four_by_three(), 3)
    for name in "abcd":
        assert {c[name] for c in cells} == {1, 2, 3}
    fifty = first("even", four_by_three(), 50)  # the case: 81 cells, 50 trials
    for name in "abcd":
        assert {c[name] for c in fifty} == {1, 2, 3}


def test_random_is_seeded():
    assert first("random", four_by_three(), 10, seed=3) == first("random", four_by_three(), 10,
                                                                  seed=3)
    assert first("random", four_by_three(), 10, seed=3) != first("random", four_by_three(), 10,
                                                                  seed=4)


def test_conditional_values_exist_only_in_their_structure():
    search = {"layers": {"choice": [1, 2]}, "units": {"choice": [4, 8, 16], "per_layer": True}}
    specs = SweepConfig.model_validate({"name": "g", "data": {"source": "builtin:airline"},
                                        "search": search}).search.specs()
    hp = kt.HyperParameters()
    declare_space(hp, specs)
    cells = first("even", hp.space, 100)
    assert len(cells) == 3 + 9  # one layer: 3 widths; two layers: 3 x 3
    assert all(("units_1" in c) == (c["layers"] == 2) for c in cells)
    assert {c["layers"] for c in cells[:2]} == {1, 2}  # the structures take turns


@pytest.mark.usefixtures("keras_session")
def test_an_ordered_grid_tuner_runs_its_cells_in_order(tmp_path: Path):
    from lstm_automl.tuning.grid_order import OrderedGridSearch

    def build(hp: kt.HyperParameters):
        import keras

        hp.Choice("a", [1, 2, 3])
        hp.Choice("b", [1, 2, 3])
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(loss="mse")
        return model

    import numpy as np

    x = np.ones((8, 1))
    tuner = OrderedGridSearch(build, objective="loss", max_trials=3, seed=1,
                              directory=str(tmp_path), project_name="g", grid_order="even")
    tuner.search(x, x, epochs=1, verbose=0)
    tried = [t.hyperparameters.values for t in tuner.oracle.trials.values()]
    assert len(tried) == 3
    assert {v["a"] for v in tried} == {1, 2, 3} and {v["b"] for v in tried} == {1, 2, 3}


def test_validate_says_which_order_applies(isolated_workdir: Path):
    body = ("name: g\ndata: {source: builtin:airline}\n"
            "search: {units: {choice: [4, 8, 16]}, cell: {choice: [lstm, gru, simple_rnn]}}\n"
            "tuner: {algorithm: grid, max_trials: 4, grid_order: even}\n")
    notes = load_sweep(write_sweep(isolated_workdir, body)).notes
    assert ("tuner.grid_order even: 4 of the grid's 9 combinations, every parameter changing "
            "from one trial to the next: so every value of every parameter is tried") in notes
    random = body.replace("algorithm: grid", "algorithm: random")
    notes = load_sweep(write_sweep(isolated_workdir, random)).notes
    assert "tuner.grid_order: only for algorithm: grid; ignored with random" in notes
