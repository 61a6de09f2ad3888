"""Meaning checks of a text input (``data.text``): the settings that only mean something with
one, and the sequence settings that mean nothing with one. ``validate`` and ``run`` share them.
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.params import SEARCH_PARAMS, TEXT_PARAMS
from lstm_automl.config.schema import NameChoice, spec_values

# Sequence-table keys a text input has no use for: a text is one row, split into tokens.
_NOT_WITH_TEXT = ("layout", "case_column", "time_column", "features", "window", "window_step")


def _differs(spec: Any, default: Any) -> bool:
    """Whether a spec can take anything but ``default`` (any searched spec can)."""
    values = spec_values(spec)
    return values is None or any(v != default for v in values)


def text_problems(config: Any) -> list[str]:
    """One line per key that cannot act: ``embedding_dim``/``vocab_size``, ``data.tokens`` or
    ``data.max_length`` without a text column; layout, window and feature keys with one."""
    data, specs = config.data, config.search.specs()
    text = getattr(data, "text", None)
    if text is None:
        problems = [f"search.{name}: only applies with a text input (set data.text to the "
                    f"column holding the texts, task classify, regress or label)"
                    for name in TEXT_PARAMS
                    if _differs(specs[name], SEARCH_PARAMS[name].default)]
        if getattr(data, "tokens", "word") != "word":
            problems.append("data.tokens: only applies with data.text")
        if getattr(data, "max_length", None) is not None:
            problems.append("data.max_length: only applies with data.text")
        if getattr(data, "kmer", None) is not None:
            problems.append("data.kmer: only applies with data.text and data.tokens: kmer")
        return problems
    problems = _kmer_problems(data)
    problems += [f"data.{key}: not with a text input (data.text: {text}); each row's text is "
                 f"one sequence of tokens" for key in _NOT_WITH_TEXT
                 if getattr(data, key, None) is not None]
    if isinstance(data.scaling, NameChoice):
        problems.append("data.scaling: not searched with a text input (it scales a regress "
                        "target only)")
    elif data.task == "label" and data.scaling != "standard":
        problems.append(f"data.scaling: {data.scaling} has nothing to scale in a tagger (text "
                        f"in, one tag per token out); leave it out")
    if config.final_model.mc_dropout is not None:
        problems.append("final_model.mc_dropout: not with a text input yet (the served model "
                        "takes raw strings without dropout passes)")
    if config.model is not None:
        problems.append("model.python: not with a text input yet (the embedding of the "
                        "learned vocabulary is built by lstm-sweep)")
    label = getattr(data, "label", None) or getattr(data, "target", None)
    if label is not None and label == text:
        problems.append(f"data.text: '{text}' is also the label/target column")
    return problems


def _kmer_problems(data: Any) -> list[str]:
    """``data.kmer`` and ``tokens: kmer`` come together; a tagger has one tag per character or
    word, which overlapping k-mers do not line up with."""
    kmer = getattr(data, "kmer", None)
    if data.tokens != "kmer":
        return [f"data.kmer: only applies with data.tokens: kmer (got tokens: {data.tokens})"] \
            if kmer is not None else []
    if data.task == "label":
        return ["data.tokens: kmer is not for task: label (one tag per token: overlapping "
                "k-mers do not line up with the tags); use tokens: char or word"]
    if kmer is None:
        return ["data.kmer: data.tokens: kmer needs k, the characters per token (e.g. "
                "data.kmer: 3, or {int: [3, 5]} to search it)"]
    return []
