"""What a registered model does once saved: the MLflow model folder (``model_saving``), its
``python_function`` loader (``pyfunc``), raw data in and original units out (``raw``), request
checks, the guarded model call, Monte-Carlo dropout and blended forecasts. Nothing here trains."""
