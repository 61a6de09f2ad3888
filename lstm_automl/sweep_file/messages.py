"""Pydantic's validation errors → one line each: ``key.path: what is wrong; what is allowed``.

pydantic names union members and reports one error per member it tried; the user wrote keys.
Here the member names are dropped, the errors of one key merged into one line, and an unknown
key or a misspelt name gets a "did you mean" and what is allowed where it stands.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from lstm_automl.config import schema as cfg
from lstm_automl.config.names import did_you_mean, edits, objective_problem, typo_limit
from lstm_automl.errors import SpecError

_DATA_MODELS: dict[str, type[BaseModel]] = {
    "forecast": cfg.ForecastDataConfig,
    "classify": cfg.ClassifyDataConfig,
    "regress": cfg.RegressDataConfig,
    "label": cfg.LabelDataConfig,
    "detect": cfg.DetectDataConfig,
}
_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "": cfg.SweepConfig,
    "data.split": cfg.SplitConfig,
    "data.generate": cfg.GenerateConfig,
    "data.backtest": cfg.BacktestConfig,
    "model": cfg.ModelConfig,
    "search": cfg.SearchConfig,
    "tuner": cfg.TunerConfig,
    "tuner.pruning": cfg.PruningConfig,
    "training": cfg.TrainingConfig,
    "tracking": cfg.TrackingConfig,
}
_SPEC_MODELS: dict[str, type[BaseModel]] = {
    "choice": cfg.ChoiceSpec, "int": cfg.IntSpec, "float": cfg.FloatSpec, "layers": cfg.LayerSpecs,
}


_UNION_MEMBERS = {"bool", "int", "float", "str", "none", "constrained-int", "constrained-float"}
_SPLIT_MESSAGE = ("expected a row count (an integer >= 1), a fraction between 0 and 1, or a time "
                  "value such as '1959-01'")


def _one_of_or_searched(names: Sequence[str]) -> str:
    """The message of a data setting that takes one of a few names, or a searched choice."""
    return f"expected one of: {', '.join(names)}, or {{choice: [...]}} to search it"


_MERGED_MESSAGES = {
    ("data", "lookback"): "expected an integer >= 1, or {choice: [12, 24]}, {int: [12, 48], "
    "step: 12} or {multiple_of_horizon: [2, 4]} to search it",
    ("data", "window"): "expected an integer >= 1, null, or {choice: [32, 64]} or {int: [32, "
    "128], step: 32} to search it",
    ("data", "kmer"): "expected an integer >= 1 (k, the characters per token), or {choice: "
    "[3, 4, 5]} or {int: [3, 5]} to search it",
    ("data", "transform"): _one_of_or_searched(cfg.TRANSFORM_NAMES),
    ("data", "scaling"): _one_of_or_searched(cfg.SCALING_NAMES),
    ("data", "features"): "expected a list of column names, or {choice: [[a], [a, b]]}",
    ("data", "target"): "expected a column name, or a list of distinct column names to "
    "forecast together",
    ("data", "calendar"): _one_of_or_searched(cfg.CALENDAR_NAMES),
    ("data", "seasonal_lag"): _one_of_or_searched(cfg.SEASONAL_LAG_NAMES),
    ("training", "jit_compile"): "expected true, false or 'auto'",
    ("split", "validation"): _SPLIT_MESSAGE,
    ("split", "test"): _SPLIT_MESSAGE,
    ("choice", "*"): "expected a plain value: a number, a string, true/false or null",
}

# The names a merged message lists, for its "did you mean".
_MERGED_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("data", "transform"): cfg.TRANSFORM_NAMES,
    ("data", "scaling"): cfg.SCALING_NAMES,
    ("data", "calendar"): cfg.CALENDAR_NAMES,
    ("data", "seasonal_lag"): cfg.SEASONAL_LAG_NAMES,
    ("training", "jit_compile"): ("auto",),
}


def _clean_loc(loc: list[Any]) -> tuple[list[Any], str | None]:
    """Drop the names pydantic gives union members: they are not keys the user wrote."""
    spec_tag = None
    if len(loc) >= 3 and loc[0] in ("search", "training") and \
            loc[2] in (*_SPEC_MODELS, "fixed", "ratio"):
        spec_tag = loc.pop(2)
    if spec_tag == "ratio" and len(loc) >= 5 and loc[2] in ("first", "ratio") and \
            loc[3] in (*_SPEC_MODELS, "fixed"):
        loc.pop(3)  # which form of {first, ratio}'s member pydantic tried
    if len(loc) >= 5 and loc[0] == "search" and loc[2] == "per_layer" and \
            loc[4] in (*_SPEC_MODELS, "fixed"):
        spec_tag = loc.pop(4)  # which form of one layer's entry pydantic tried
    if len(loc) >= 2 and loc[0] == "data" and loc[1] in _DATA_MODELS:
        spec_tag = loc.pop(1)
    if len(loc) >= 4 and loc[:2] == ["data", cfg.LABEL_FROM] and \
            loc[3] in ("fixed", "by_choice", "by_int"):
        loc.pop(3)  # which form of data.label_from.lookback / horizon pydantic tried
    if len(loc) >= 3 and loc[0] == "data" and loc[1] in cfg.SEARCHABLE_DATA and \
            isinstance(loc[2], str) and loc[2] != "choice":
        loc.pop(2)  # which member of "value or {choice: ...}" pydantic tried
    if loc[:2] == ["data", "target"]:
        del loc[2:]  # "name or list of names": one message for the key
    if loc and isinstance(loc[-1], str) and loc[-1].startswith("literal[") and len(loc) >= 2:
        loc.pop()  # the Literal member of a union (training.jit_compile: true, false or 'auto')
    if loc and isinstance(loc[-1], str) and loc[-1] in _UNION_MEMBERS and len(loc) >= 2 and (
        loc[-1].startswith("constrained-") or isinstance(loc[-2], int)
        or loc[-2] in ("validation", "test") or loc[:2] == ["training", "jit_compile"]
    ):
        loc.pop()
    return loc, spec_tag


def _searched_data(errors: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """Errors of a searchable data key written as a mapping, said the way the user meant them.

    pydantic tries both members of "value or {choice: [...]}" and reports each, so a mapping
    gets a complaint from the plain-value member too ("should be a valid integer"): noise. A
    mapping of a known form (``choice``, and ``int`` or ``multiple_of_horizon`` where allowed)
    keeps only its own errors; one without gets a single line saying what is allowed.
    Returns the errors left to format and the ready lines by key path.
    """
    mappings: dict[str, tuple[str | None, dict[str, Any]]] = {}
    noise: set[int] = set()
    for error in errors:
        loc, tag = _clean_loc(list(error["loc"]))
        model = _DATA_MODELS.get(tag or "forecast")
        owned = len(loc) == 2 and model is not None and loc[1] in model.model_fields
        if owned and loc[0] == "data" and loc[1] in cfg.SEARCHABLE_DATA and \
                isinstance(error["input"], dict) and (
                    len(error["loc"]) > 3  # what a plain-value member said of a mapping
                    or error["type"] == "data_search"):  # a mapping of no known form
            mappings[loc[1]] = (tag, error["input"])
            noise.add(id(error))
    kept: list[Any] = []
    ready: dict[str, str] = {}
    for error in errors:
        loc, _ = _clean_loc(list(error["loc"]))
        name = loc[1] if len(loc) >= 2 and loc[0] == "data" else None
        if name not in mappings:
            kept.append(error)
            continue
        tag, given = mappings[name]
        path = f"data.{name}"
        forms = _DATA_SEARCH_FORMS.get(name, ("choice",))
        if not any(form in given for form in forms):
            ranged = "; a range cannot be searched here, list its values" if (
                "int" in given or "float" in given) else ""
            ready[path] = (f"{path}: {_MERGED_MESSAGES['data', name]}{ranged} "
                           f"(got {_short(given)})")
        elif id(error) not in noise:
            kept.append(error)  # what the {choice: [...]} mapping itself got wrong
    return kept, ready


# How each searchable data setting may be searched (the keys of its mapping).
_DATA_SEARCH_FORMS: dict[str, tuple[str, ...]] = {
    "lookback": ("choice", "int", "multiple_of_horizon"),
    "window": ("choice", "int"),
    "kmer": ("choice", "int"),
}
# Keys a task's section inherits but refuses (detect is a forecast with one validation split).
_REFUSED_BY: dict[str, tuple[str, ...]] = {"backtest": ("detect",)}
# Why a data key of another task cannot apply, where the task alone does not say it.
_TASK_HINTS: dict[str, str] = {
    "lookback": "; whole sequences are cut into windows with data.window",
    "transform": " (it transforms a forecast target's series; whole-sequence data has none)",
    "horizon": " (a whole-sequence model predicts one label or number per sequence)",
    "calendar": " (calendar inputs come from a forecast's time column)",
    "seasonal_lag": " (it adds a forecast target's value one season earlier)",
}


def format_errors(errors: list[Any]) -> list[str]:
    """One line per key path, even where pydantic reports one error per union member."""
    kept, ready = _searched_data(errors)
    kept_ids = {id(error) for error in kept}
    grouped: dict[str, list[Any]] = {}  # by key path, in the order pydantic reported them
    for error in errors:
        loc, _ = _clean_loc(list(error["loc"]))
        path = ".".join(str(p) for p in loc)
        if loc[:1] == ["data"] and len(loc) >= 2 and f"data.{loc[1]}" in ready:
            path = f"data.{loc[1]}"
        group = grouped.setdefault(path, [])
        if id(error) in kept_ids:
            group.append(error)
    lines = []
    for path, group in grouped.items():
        if path in ready:
            lines.append(ready[path])
            continue
        if not group:
            continue
        parts = path.split(".")
        merged = _MERGED_MESSAGES.get(("data", parts[-1])) if len(parts) == 2 and \
            parts[0] == "data" and group[0]["type"] != "extra_forbidden" and not isinstance(
                (group[0].get("ctx") or {}).get("error"), SpecError) else None
        if len(group) == 1 and merged is None:
            lines.append(_format_error(group[0]))
            continue
        key: tuple[str, str] = (
            (parts[-2], "*") if parts[-1].isdigit() else (parts[-2], parts[-1])
        ) if len(parts) >= 2 else ("", "")
        message = merged or _MERGED_MESSAGES.get(key) or "; or ".join(
            dict.fromkeys(e["msg"] for e in group))
        hint = did_you_mean(group[0]["input"], _MERGED_NAMES.get(key, ()))
        lines.append(f"{path}: {message}{hint} (got {_short(group[0]['input'])})")
    return lines


def raw_meaning_problems(data: dict[str, Any]) -> list[str]:
    """The objective check, also when other keys failed validation (report everything at once)."""
    tuner, section = data.get("tuner"), data.get("data")
    task = section.get("task", "forecast") if isinstance(section, dict) else "forecast"
    if not isinstance(tuner, dict) or not isinstance(tuner.get("objective"), str):
        return []
    backtest = isinstance(section, dict) and bool(section.get("backtest"))
    try:
        problem = objective_problem(task, tuner["objective"], backtest)
    except KeyError:
        return []
    return [problem] if problem else []


def _format_error(error: Any) -> str:
    """One line for one pydantic error: ``key.path: what is wrong; what is allowed``."""
    loc, spec_tag = _clean_loc(list(error["loc"]))
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, SpecError):
        sub = f".{ctx_error.subpath}" if ctx_error.subpath else ""
        return f"{path}{sub}: {ctx_error}"
    if kind == "extra_forbidden":
        parent, _, key = path.rpartition(".")
        model = (_DATA_MODELS.get(spec_tag or "") if parent == "data" else None) or \
            _SPEC_MODELS.get(spec_tag or "") or _SECTION_MODELS.get(parent)
        if parent == "data":
            owners = [t for t, m in _DATA_MODELS.items() if key in m.model_fields
                      and t not in _REFUSED_BY.get(key, ())]
            if owners:
                hint = _TASK_HINTS.get(key, "") if "classify" not in owners and \
                    "regress" not in owners else ""
                tasks = " or ".join([", ".join(owners[:-1]), owners[-1]] if len(owners) > 2
                                    else owners)
                return f"{path}: applies only to task: {tasks}{hint}"
        if parent.removeprefix("data.") in cfg.SEARCHABLE_DATA:
            forms = _DATA_SEARCH_FORMS.get(parent.removeprefix("data."), ("choice",))
            return f"{path}: unknown key; allowed: {', '.join(forms)}"
        elsewhere = _other_sections(key, parent)
        if elsewhere:
            return f"{path}: unknown key; {elsewhere}"
        return f"{path}: unknown key{_suggest(key, model)}"
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "task":
        given = error["input"].get("task") if isinstance(error["input"], dict) else None
        return (f"data.task: must be one of: {', '.join(cfg.TASKS)}"
                f"{did_you_mean(given, tuple(_DATA_MODELS))} (got {_short(given)})")
    if kind == "param_spec":
        return (f"{path}: expected a plain value or a mapping with exactly one of: choice, int, "
                f"float (got {_short(error['input'])})")
    if kind == "literal_error" and _literal_names(error):
        names = _literal_names(error)
        hint = did_you_mean(error["input"], names) or ";"
        return (f"{path}: {_short(error['input'])} is not allowed{hint} expected one of: "
                f"{', '.join(names)}")
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{path or '(top level)'}: {msg} (got {_short(error['input'])})"


def _literal_names(error: Any) -> list[str]:
    """The names a ``Literal`` of strings allows, read from pydantic's "'a', 'b' or 'c'"; []
    where it allows anything else too."""
    expected = str((error.get("ctx") or {}).get("expected", ""))
    names = re.findall(r"'([^']*)'", expected)
    rest = re.sub(r"'[^']*'", "", expected).replace(" or ", "").replace(",", "").strip()
    return names if names and not rest else []


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


@functools.cache
def _section_keys() -> dict[str, set[str]]:
    """The keys of each section of a sweep file ("" is the top level), data of every task."""
    sections = {name: set(_keys(model)) for name, model in _SECTION_MODELS.items()
                if "." not in name}
    sections["final_model"] = set(_keys(cfg.FinalModelConfig))
    sections["data"] = {key for model in _DATA_MODELS.values() for key in _keys(model)}
    return sections


def _other_sections(key: str, parent: str) -> str:
    """Where ``key`` belongs when it is a key of another section (``search.epochs``), else ''."""
    owners = [name for name, keys in _section_keys().items() if key in keys and name != parent]
    if not owners or parent not in _section_keys():
        return ""
    if owners == [""]:
        return f"{key} belongs at the top level"
    places = " or ".join(f"{name}.{key}" for name in owners if name)
    top = "at the top level or " if "" in owners else ""
    return f"{key} belongs {top}under {' or '.join(n for n in owners if n)}: {places}"


def _suggest(key: str, model: type[BaseModel] | None) -> str:
    """A 'did you mean' only for a likely typo (one or two edits), so that ``batch_norm`` is not
    sent to ``batch_size``; every allowed key is listed either way."""
    if model is None:
        return ""
    names = _keys(model)
    scored = sorted((edits(key.lower(), name), index) for index, name in enumerate(names))
    hint = f"; did you mean '{names[scored[0][1]]}'?" if scored and scored[0][0] <= typo_limit(
        key) else ""
    return f"{hint or ';'} allowed: {', '.join(names)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
