"""The files of a saved model folder beside the ``.keras`` network: what the writer
(``model_saving``) puts there and the loader (``pyfunc``) reads back."""

KERAS_FILE = "model.keras"
SPEC_FILE = "preprocessing.json"  # the preprocessing a raw table goes through (``raw``)
PYTHON_MODULE_FILE = "python_model.json"  # names the shipped model.python module to import
BACKEND_FILE = "backend.json"  # the Keras backend the model was trained on
