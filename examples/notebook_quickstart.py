"""The quickstart from Python, as in a notebook: run, inspect, load and predict in five lines.

    python examples/notebook_quickstart.py     # from anywhere; writes ./mlflow.db, ./mlartifacts

A smaller budget than sweeps/quickstart.yaml (2 trials of 3 epochs, one final model) so that it
runs in about a minute on a laptop, under its own name so that it leaves the quickstart's
experiment and registered model alone. In a notebook, give the paths as they are from there.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: sweeps/ and datasets/
SMALL = {"name": "notebook-quickstart", "tracking.experiment": "notebook-quickstart",
         "tracking.register_as": "notebook-quickstart", "tuner.max_trials": 2,
         "training.epochs": 3, "final_model": {"top_k": 1, "seeds": 1, "refit": False}}

# The five lines:
import lstm_automl, pandas as pd  # noqa: E401,E402
result = lstm_automl.run(ROOT / "sweeps" / "quickstart.yaml", overrides=SMALL, quiet=True)
print(result.leaderboard, result.verdict.sentence(), result.model_uri, result.ui_url, sep="\n")
model = result.load_model()  # mlflow.pyfunc model of the version this sweep registered
print(model.predict(pd.read_csv(ROOT / "datasets" / "airline.csv").tail(36)))  # next month
