"""Sweep file on disk → validated ``SweepConfig``, or one ``ConfigError`` listing every problem.

YAML is read with the safe loader only; aliases are expanded in a size-checked walk first so an
alias bomb is refused in milliseconds, and duplicate keys are refused rather than silently merged.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# pydantic looks for plugins in the entry points of every installed distribution the first time
# a model class is built: about a quarter of importing config/schema.py in a TensorFlow/MLflow
# environment, for plugins the sweep schema never uses. Set before lstm_automl.config.schema is
# imported; PYDANTIC_DISABLE_PLUGINS set to anything (even empty) by the user wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import yaml
from pydantic import BaseModel, ValidationError

from lstm_automl.baselines.window_ar import MIN_WINDOWS_PER_LAG
from lstm_automl.config import schema as cfg
from lstm_automl.config.names import objective_problem
from lstm_automl.config.overrides import (
    OPTION,
    apply_overrides,
    effective_text,
    name_overridden,
    parse_overrides,
)
from lstm_automl.config.params import short_list
from lstm_automl.data.source_file import not_regular
from lstm_automl.errors import ConfigError, SpecError
from lstm_automl.model.python_model import python_ref, static_problems
from lstm_automl.sweep_file.preset import apply_preset
from lstm_automl.sweep_file.rules import RULES

MAX_FILE_BYTES = 1 << 20
MAX_EXPANDED_NODES = 50_000


class SweepLoader(yaml.SafeLoader):
    """PyYAML's safe loader (YAML 1.1: ``yes``/``no`` stay booleans), plus YAML 1.2 floats.

    YAML 1.1 needs a dot in a float, so ``1e-4`` would be the string '1e-4'; editors and the JSON
    Schema (YAML 1.2) read it as a number, and so does the sweep. A subclass, so that other users
    of ``yaml.SafeLoader`` in the same process are unaffected.
    """


SweepLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


@dataclass
class LoadedSweep:
    """A validated sweep and where it came from (relative data paths resolve from ``base_dir``)."""

    config: cfg.SweepConfig
    path: Path
    text: str
    notes: list[str] = field(default_factory=list)
    source: str = ""
    overrides: list[str] = field(default_factory=list)  # ``--set`` items, as typed
    effective: str = ""  # the file with the overrides written in ("" without overrides)
    preset: str = ""  # the preset the file was resolved with ("none": schema defaults)
    preset_choices: list[str] = field(default_factory=list)  # "key: value (why)", one a value

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_sweep(path: str | Path, overrides: Sequence[str] = ()) -> LoadedSweep:
    """Read, parse and validate a sweep file; raise ConfigError naming every problem.

    ``overrides``: ``--set KEY=VALUE`` items, written into the file's mapping before it is
    validated (lstm_automl.config.overrides).
    """
    source = str(path)
    changes = _parsed_overrides(overrides, source)
    text = _read_text(Path(path), source)
    return _validated(_parse_yaml(text, source), text, Path(path).resolve(), source, overrides,
                      changes)


def load_sweep_mapping(mapping: Any, overrides: Sequence[str] = (),
                       source: str = "sweep dict") -> LoadedSweep:
    """A sweep given as a Python mapping (the Python API), checked exactly like a file: written
    out as YAML and read back by the file's own loader, so the same guards and messages apply.
    Relative paths in it resolve against the current folder, where a file would be."""
    changes = _parsed_overrides(overrides, source)
    try:
        text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:  # an object YAML cannot hold (a class instance, a set...)
        raise ConfigError(source, [f"holds a value that is not plain data ({_first_line(exc)}); "
                                   f"use str, int, float, bool, None, lists and dicts"]) from None
    data = _parse_yaml(text, source)
    name = data.get("name") if isinstance(data, dict) else None
    file_name = f"{name}.yaml" if isinstance(name, str) and name.isidentifier() else "sweep.yaml"
    return _validated(data, text, Path.cwd().resolve() / file_name, source, overrides, changes)


def _parsed_overrides(overrides: Sequence[str], source: str) -> list[Any]:
    changes, problems = parse_overrides(overrides, _override_value)
    if problems:
        raise ConfigError(source, problems)
    return changes


def _validated(data: Any, text: str, path: Path, source: str, overrides: Sequence[str],
               changes: list[Any]) -> LoadedSweep:
    """The parsed mapping with the overrides written in, validated and checked for meaning."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(source, [
            f"the top level must be a mapping of keys (name, data, search, tuner, training, "
            f"tracking), got {kind}"
        ])
    data, problems = apply_overrides(data, changes)
    if problems:
        raise ConfigError(source, problems)
    data, preset, chosen = apply_preset(data, Path(path).resolve().parent, source)
    try:
        config = cfg.SweepConfig.model_validate(data)
    except ValidationError as exc:
        problems = _format_errors(exc.errors()) + _raw_meaning_problems(data)
        raise ConfigError(source, name_overridden(problems, changes)) from None
    problems, notes = check_meaning(config)
    ref = python_ref(config, path.parent)
    if ref is not None:
        problems += static_problems(ref)  # the import itself waits for the run (TensorFlow)
    if problems:
        raise ConfigError(source, name_overridden(problems, changes))
    return LoadedSweep(config=config, path=path, text=text, notes=notes,
                       source=source, overrides=list(overrides),
                       effective=effective_text(data, changes, source) if changes else "",
                       preset=preset, preset_choices=chosen)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _override_value(raw: str) -> Any:
    """A ``--set`` value, read with the file's guards: safe loader, aliases size-checked.
    YAML errors go up as they are: ``parse_overrides`` words them for the option."""
    loader = SweepLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_node(node, OPTION)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_text(path: Path, source: str) -> str:
    problem, size = not_regular(path)  # a FIFO or /dev/zero is refused before it is opened
    if problem is not None:
        raise ConfigError(source, [problem if problem == "file not found" else
                                   f"{problem}; give the path of a sweep YAML file"])
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows meanwhile
        if max(size, len(raw)) > MAX_FILE_BYTES:
            raise ConfigError(source, [f"file is too large for a sweep file ({size} bytes; limit "
                                       f"{MAX_FILE_BYTES})"])
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    if b"\x00" in raw:
        raise ConfigError(source, ["not a text file (it contains binary data)"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [f"not UTF-8 text (bad byte at offset {exc.start})"]) from None
    if not text.strip():
        raise ConfigError(source, ["the file is empty; a sweep needs at least 'name' and 'data'"])
    return text


def _parse_yaml(text: str, source: str) -> Any:
    loader = SweepLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_node(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(source, [_format_yaml_error(exc)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"YAML error: {exc}"]) from None
    except RecursionError:
        raise ConfigError(source, ["YAML nests too deeply"]) from None
    except ValueError as exc:  # PyYAML's int/float constructors on odd scalars such as 0x_
        raise ConfigError(source, [f"YAML value cannot be read: {exc}"]) from None
    finally:
        loader.dispose()


def _format_yaml_error(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = exc.problem or "invalid YAML"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.split("tag", 1)[1].strip()
        return where + (f"YAML tag {tag} is not allowed; sweep files "
                   f"are plain YAML (no !! tags that build objects)")
    return f"{where}YAML syntax error: {problem}"


def _check_node(root: yaml.Node, source: str) -> None:
    """Refuse alias bombs, recursive aliases and duplicate keys before constructing anything."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise ConfigError(source, [_at(node) + "recursive YAML alias is not allowed"])
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen and k.value != "<<":
                        raise ConfigError(source, [_at(k) + f"duplicate key '{k.value}'"])
                    seen.add(k.value)
                total += size(k) + size(v)
        if total > MAX_EXPANDED_NODES:
            raise ConfigError(source, [
                f"YAML expands to more than {MAX_EXPANDED_NODES} values through aliases "
                "(an alias bomb?); refusing to read it"
            ])
        in_progress.discard(key)
        sizes[key] = total
        return total

    size(root)


def _at(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}: "


_DATA_MODELS: dict[str, type[BaseModel]] = {
    "forecast": cfg.ForecastDataConfig,
    "classify": cfg.ClassifyDataConfig,
    "regress": cfg.RegressDataConfig,
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
    "choice": cfg.ChoiceSpec, "int": cfg.IntSpec, "float": cfg.FloatSpec,
}


_UNION_MEMBERS = {"bool", "int", "float", "str", "none", "constrained-int", "constrained-float"}
_SPLIT_MESSAGE = ("expected a row count (an integer >= 1), a fraction between 0 and 1, or a time "
                  "value such as '1959-01'")
_MERGED_MESSAGES = {
    ("data", "lookback"): "expected an integer >= 1, or {choice: [12, 24]}, {int: [12, 48], "
    "step: 12} or {multiple_of_horizon: [2, 4]} to search it",
    ("data", "window"): "expected an integer >= 1, null, or {choice: [32, 64]} or {int: [32, "
    "128], step: 32} to search it",
    ("data", "transform"): "expected one of: " + ", ".join(cfg.TRANSFORM_NAMES)
    + ", or {choice: [...]} to search it",
    ("data", "scaling"): "expected one of: " + ", ".join(cfg.SCALING_NAMES)
    + ", or {choice: [...]} to search it",
    ("data", "features"): "expected a list of column names, or {choice: [[a], [a, b]]}",
    ("data", "target"): "expected a column name, or a list of distinct column names to "
    "forecast together",
    ("split", "validation"): _SPLIT_MESSAGE,
    ("split", "test"): _SPLIT_MESSAGE,
    ("choice", "*"): "expected a plain value: a number, a string, true/false or null",
}


def _clean_loc(loc: list[Any]) -> tuple[list[Any], str | None]:
    """Drop the names pydantic gives union members: they are not keys the user wrote."""
    spec_tag = None
    if len(loc) >= 3 and loc[0] in ("search", "training") and \
            loc[2] in (*_SPEC_MODELS, "fixed", "ratio"):
        spec_tag = loc.pop(2)
    if len(loc) >= 2 and loc[0] == "data" and loc[1] in _DATA_MODELS:
        spec_tag = loc.pop(1)
    if len(loc) >= 3 and loc[0] == "data" and loc[1] in cfg.SEARCHABLE_DATA and \
            isinstance(loc[2], str) and loc[2] != "choice":
        loc.pop(2)  # which member of "value or {choice: ...}" pydantic tried
    if loc[:2] == ["data", "target"]:
        del loc[2:]  # "name or list of names": one message for the key
    if loc and isinstance(loc[-1], str) and loc[-1] in _UNION_MEMBERS and len(loc) >= 2 and (
        loc[-1].startswith("constrained-") or isinstance(loc[-2], int)
        or loc[-2] in ("validation", "test")
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
}
# Why a data key of another task cannot apply, where the task alone does not say it.
_TASK_HINTS: dict[str, str] = {
    "lookback": "; whole sequences are cut into windows with data.window",
    "transform": " (it transforms a forecast target's series; whole-sequence data has none)",
    "horizon": " (a whole-sequence model predicts one label or number per sequence)",
    "calendar": " (calendar inputs come from a forecast's time column)",
    "seasonal_lag": " (it adds a forecast target's value one season earlier)",
}


def _format_errors(errors: list[Any]) -> list[str]:
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
        lines.append(f"{path}: {message} (got {_short(group[0]['input'])})")
    return lines


def _raw_meaning_problems(data: dict[str, Any]) -> list[str]:
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
            owners = [t for t, m in _DATA_MODELS.items() if key in m.model_fields]
            if owners:
                hint = _TASK_HINTS.get(key, "") if owners == ["forecast"] else ""
                return f"{path}: applies only to task: {' or '.join(owners)}{hint}"
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
        return f"data.task: must be one of: forecast, classify, regress (got {_short(given)})"
    if kind == "param_spec":
        return (f"{path}: expected a plain value or a mapping with exactly one of: choice, int, "
                f"float (got {_short(error['input'])})")
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{path or '(top level)'}: {msg} (got {_short(error['input'])})"


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
    limit = 1 if len(key) < 8 else 2
    scored = sorted((_edits(key.lower(), name), index) for index, name in enumerate(names))
    hint = f"; did you mean '{names[scored[0][1]]}'?" if scored and scored[0][0] <= limit else ""
    return f"{hint or ';'} allowed: {', '.join(names)}"


def _edits(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insertions, deletions, substitutions, swaps of neighbours."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_meaning(config: cfg.SweepConfig) -> tuple[list[str], list[str]]:
    """Checks that need the whole file: (problems that stop the sweep, notes worth printing),
    each rule of ``rules.RULES`` in the table's order."""
    problems: list[str] = []
    notes: list[str] = []
    for rule in RULES:
        found = rule.check(config)
        problems += found.problems
        notes += found.notes
    return problems, notes


def add_data_notes(loaded: LoadedSweep, data: Any, variants: Any = None) -> None:
    """Add the notes that need the data read to ``loaded.notes`` (once), where ``validate``
    (unless ``--no-data``) and the run header print the loader's notes.

    ``data`` is the prepared ``SweepData``; ``variants`` the ``ForecastVariants`` of a sweep that
    searches data settings, whose smallest training split counts.
    """
    prepared = variants.all() if variants is not None else [data]
    sizes = [len(d.splits["train"].x) for d in prepared]
    problem, fit_notes = residual_fit_checks(loaded.config, prepared)
    if problem:
        raise ConfigError(loaded.source or str(loaded.path), [problem])
    for note in [*data_notes(loaded.config, sizes), *fit_notes]:
        if note not in loaded.notes:
            loaded.notes.append(note)


def residual_fit_checks(config: cfg.SweepConfig, prepared: list[Any]) -> tuple[str | None,
                                                                               list[str]]:
    """(problem, notes) of ``residual: ar``, ``ets`` and ``arima`` once the data is read: each
    model is fitted on the training rows, which may be too few (or a constant target) in every
    data variant (refused) or in some (those trials build without it)."""
    specs = config.search.specs()
    residuals, norms = (cfg.spec_values(specs.get(k)) or [specs.get(k)]
                        for k in ("residual", "window_norm"))
    wanted = [v for v in ("ar", "ets", "arima") if v in residuals]
    if "ets" in norms and "ets" not in wanted:
        wanted.append("ets")
    if config.data.task != "forecast" or not wanted:
        return None, []
    shapes = [(d, d.model_shape()) for d in prepared]
    shapes = [(d, shape) for d, shape in shapes if shape.target_channel is not None]
    for kind in wanted:
        lacking = [d for d, shape in shapes if shape.classical(kind) is None]
        if not lacking:
            continue
        key = "residual" if kind in residuals else "window_norm"
        why = _unfitted(kind, key, min(len(d.splits["train"].x) for d in lacking))
        if len(lacking) == len(shapes):
            return why, []
        return None, [f"{why}: trials on those data variants build without it"]
    return None, []


def _unfitted(kind: str, key: str, windows: int) -> str:
    if kind == "ar":
        return ("search.residual: ar needs an AR model fitted on the training windows, and " + (
            f"{windows} training windows are too few (at least {MIN_WINDOWS_PER_LAG})"
            if windows < MIN_WINDOWS_PER_LAG else "the target is constant over them"))
    what, rows = (("exponential smoothing", 10) if kind == "ets" else ("an ARIMA model", 20))
    return (f"search.{key}: {kind} needs {what} fitted on the training rows, and "
            f"{windows} training windows are too few (at least {rows} rows)")


def data_notes(config: cfg.SweepConfig, train_sizes: list[int]) -> list[str]:
    """Notes on the search space given the training split's size in windows (forecast) or
    sequences, one size per data variant: a batch larger than the training set is the whole set,
    so those trials take one gradient step per epoch."""
    if not train_sizes:
        return []
    fewest = min(train_sizes)
    unit = "training windows" if config.data.task == "forecast" else "training sequences"
    count = f"{fewest} {unit}" if fewest == max(train_sizes) else (
        f"{fewest} {unit} (fewest of the searched data variants)")
    sizes = sorted({int(b) for b in cfg.spec_values(config.search.batch_size) or []})
    over = [b for b in sizes if b > fewest]
    if not over:
        return []
    if len(sizes) == 1:
        return [f"search.batch_size: {over[0]} is larger than the {count}: each epoch is a "
                f"single batch"]
    if len(over) == len(sizes):
        return [f"search.batch_size: every choice ({short_list(over)}) is larger than the "
                f"{count}: each epoch is a single batch"]
    return [f"search.batch_size: {short_list(over)} {'is' if len(over) == 1 else 'are'} larger "
            f"than the {count}: trials with {'it' if len(over) == 1 else 'them'} train on a "
            f"single batch per epoch"]
