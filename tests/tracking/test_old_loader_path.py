"""Models registered before serving/ existed name ``lstm_automl.tracking.pyfunc`` as their
loader module; that path must keep loading them with today's loader."""

import importlib


def test_the_old_loader_module_still_loads_with_the_new_loader():
    old = importlib.import_module("lstm_automl.tracking.pyfunc")
    new = importlib.import_module("lstm_automl.serving.pyfunc")
    assert old._load_pyfunc is new._load_pyfunc
    assert old.SweepModel is new.SweepModel


def test_new_models_name_the_new_loader():
    from lstm_automl.serving.model_saving import PYFUNC_LOADER

    assert PYFUNC_LOADER == "lstm_automl.serving.pyfunc"
