"""A raw table in, predictions in original units out: the request checked, then the plain
network, its Monte-Carlo dropout passes or its blend with classical members, as the saved
preprocessing spec says."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lstm_automl.serving import raw
from lstm_automl.serving.blend_serving import blended
from lstm_automl.serving.detect import detect_rows
from lstm_automl.serving.forward_serving import forward_input, forward_output
from lstm_automl.serving.mc_dropout import predict_mc
from lstm_automl.serving.model_call import predict_windows
from lstm_automl.serving.request_checks import checked_table
from lstm_automl.serving.step_serving import step_input, step_output
from lstm_automl.serving.text_input import text_input
from lstm_automl.serving.text_tagging import tag_input, tag_output


def predict_raw(spec: dict[str, Any], model: Any, frame: Any) -> pd.DataFrame:
    """Predict from a raw table with the training column names; original units out.

    The table is checked first (``request_checks.checked_table``: bounded, its rows numbered
    0, 1, ... in the order sent, so that messages name the row of the input)."""
    if spec.get("text") and spec["task"] == "label":  # a tagger: one row per token
        x, tokens, owners = raw.prepared(tag_input, spec, frame)
        return tag_output(spec, predict_windows(model, x), tokens, owners)
    if spec.get("text"):  # strings in: a table with the text column, or a list of them
        x, ids = raw.prepared(text_input, spec, frame)
        return raw.sequence_output(spec, predict_windows(model, x), ids)
    frame = checked_table(frame)
    if spec["task"] == "detect":  # a score and a flag per row of the history
        return detect_rows(spec, model, frame)
    if spec.get("label_from"):  # the class of the forward move after the history's last row
        x, as_of = raw.prepared(forward_input, spec, frame)
        return forward_output(spec, predict_windows(model, x), as_of)
    if spec.get("mc_dropout"):  # mean and spread of stochastic passes (final_model.mc_dropout)
        return predict_mc(spec, model, frame)
    if spec["task"] == "forecast":
        window, levels = raw.prepared(raw.forecast_input, spec, frame)
        out = raw.forecast_output(spec, predict_windows(model, window), levels)
        if spec.get("blend"):  # final_model.blend: the classical members, from the history
            return blended(spec, frame, out)
        return out
    if spec["task"] == "label":  # one label per input row
        x, ids, rows = raw.prepared(step_input, spec, frame)
        return step_output(spec, predict_windows(model, x), ids, rows)
    x, ids = raw.prepared(raw.sequence_input, spec, frame)
    return raw.sequence_output(spec, predict_windows(model, x), ids)
