"""Reading a sweep file: YAML → a validated config, checked against the data and model rules,
or one error listing every problem; and the JSON Schema editors use (``lstm-sweep schema``).
"""

import os

# pydantic looks for plugins in the entry points of every installed distribution the first time
# a model class is built: about a quarter of importing config/schema.py in a TensorFlow/MLflow
# environment, for plugins the sweep schema never uses. Set here, before any module of this
# package imports lstm_automl.config.schema; PYDANTIC_DISABLE_PLUGINS set to anything (even
# empty) by the user wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
