"""Classical baselines the network is scored against, and the classical models its residual and
window-normalising layers start from: AR, ETS, SARIMA, 1-NN DTW, ridge, with the validation
hold-out that chooses between their forecasts and the target transforms they share with the
network's data. Numpy and statsmodels only; no Keras, no MLflow."""
