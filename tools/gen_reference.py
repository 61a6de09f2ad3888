"""Write docs/reference/sweep-file.md from the code that validates sweep files.

Every key, type, default and description comes from the pydantic models in
``lstm_automl/config/schema.py``; every searchable hyperparameter's domain, default and
applicability from the parameter table in ``lstm_automl/config/params.py``; the rules across
keys from the rules table in ``lstm_automl/sweep_file/rules.py``; objectives and datasets from
their registries. tests/test_reference.py fails when the committed page differs
from what this tool writes now, so the reference cannot drift from the code.

    python tools/gen_reference.py           # print the page
    python tools/gen_reference.py --write   # and write docs/reference/sweep-file.md
    python tools/gen_reference.py --check   # exit 1 when the committed page is stale

Light: imports no TensorFlow, Keras or MLflow (like ``lstm-sweep schema``).
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "reference" / "sweep-file.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402
from pydantic_core import PydanticUndefined  # noqa: E402

from lstm_automl.config import schema as cfg  # noqa: E402
from lstm_automl.config.builtin import DATASETS, SEQUENCE_DATASETS  # noqa: E402
from lstm_automl.config.names import (  # noqa: E402
    BACKTEST_TASKS,
    EXTRA_METRICS,
    MAXIMISED_METRICS,
    TASK_METRICS,
    objective_names,
)
from lstm_automl.config.params import (  # noqa: E402
    LAYER_RATIO,
    PER_LAYER_PARENTS,
    SEARCH_PARAMS,
    TRAINING_SEARCH,
    WIDTH_PARAMS,
    Domain,
)
from lstm_automl.sweep_file import rules as sweep_rules  # noqa: E402

_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean",
            type(None): "null"}
_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _cell(text: Any) -> str:
    """Text safe inside one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    """A default as a sweep file writes it."""
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _bounds(metadata: list[Any]) -> str:
    """``>= 1, <= 20`` from annotated-types constraints."""
    parts = []
    for item in metadata:
        for attr, sign in _BOUNDS:
            if getattr(item, attr, None) is not None:
                parts.append(f"{sign} {getattr(item, attr)}")
    return ", ".join(parts)


def type_text(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A field's type in words: ``integer >= 1``, ``one of: a, b``, ``list of string``."""
    extra = _bounds(metadata or [])
    text = _type_words(annotation)
    return f"{text} ({extra})" if extra else text


def _type_words(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0], list(args[1:]))
    if origin is typing.Literal:
        return "one of: " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        words = list(dict.fromkeys(_type_words(a) for a in args))
        return " or ".join(words)
    if origin in (list, tuple):
        inner = " or ".join(dict.fromkeys(_type_words(a) for a in args if a is not Ellipsis))
        return f"list of {inner}" if origin is list else f"[{inner}, {inner}]"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"mapping ({_anchor_name(annotation)})"
    for base, word in _SCALARS.items():
        if annotation is base or (isinstance(annotation, type) and issubclass(annotation, base)
                                  and base is not int):
            return word
    if annotation is typing.Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


_SECTIONS: dict[type, str] = {}


def _anchor_name(model: type) -> str:
    return _SECTIONS.get(model, model.__name__)


def _default(info: FieldInfo) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    if info.default_factory is not None:
        return _value(info.default_factory())  # type: ignore[call-arg]
    return _value(info.default)


def model_table(model: type[BaseModel]) -> list[str]:
    """One row per key of ``model``: key, type, default, description."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = type_text(info.annotation, list(info.metadata))
        rows.append(f"| `{key}` | {_cell(kind)} | {_cell(_default(info))} | "
                    f"{_cell(info.description or '')} |")
    return rows


def _allowed(domain: Domain) -> str:
    if domain.kind == "name":
        assert domain.names is not None
        return ", ".join(f"`{n}`" for n in domain.names)
    return domain.describe_allowed()


def _applies(name: str, domain: Domain) -> str:
    parts = []
    if domain.per_layer:
        parts.append(f"per layer of `{PER_LAYER_PARENTS[domain.per_layer]}` (may be "
                     f"`{{per_layer: [...]}}`)")
    if domain.active_when:
        parent, rule = domain.active_when
        words = {"true": "is true", ">0": "> 0"}.get(rule, f"is `{rule[1:]}`")
        parts.append(f"when `{parent}` {words}")
    if name in WIDTH_PARAMS:
        parts.append("may be `{same_as: W}`")
    if domain.per_layer and domain.kind == "int":
        parts.append("may be `{first: S, ratio: R}`")
    return "; ".join(parts) or "always"


def search_table() -> list[str]:
    """The parameter table: every searchable hyperparameter with its domain and applicability."""
    rows = ["| key | kind | default | allowed | applies | description |",
            "|---|---|---|---|---|---|"]
    for name, domain in SEARCH_PARAMS.items():
        rows.append(f"| `{name}` | {domain.kind} | {_value(domain.default)} | "
                    f"{_cell(_allowed(domain))} | {_cell(_applies(name, domain))} | "
                    f"{_cell(domain.help)} |")
    return rows


def names_tables() -> list[str]:
    """What each name of a name-valued hyperparameter means."""
    lines: list[str] = []
    for name, domain in SEARCH_PARAMS.items():
        if domain.kind != "name" or not domain.names:
            continue
        if all(k == v for k, v in domain.names.items()):
            continue  # names that explain themselves (activations)
        lines += [f"**`{name}`**", "", "| value | meaning |", "|---|---|"]
        lines += [f"| `{k}` | {_cell(v)} |" for k, v in domain.names.items()]
        lines.append("")
    return lines


def training_search_table() -> list[str]:
    rows = ["| key | kind | default | allowed | description |", "|---|---|---|---|---|"]
    for name, domain in TRAINING_SEARCH.items():
        rows.append(f"| `training.{name}` | {domain.kind} | {_value(domain.default)} | "
                    f"{_cell(_allowed(domain))} | {_cell(domain.help)} |")
    return rows


def objectives_table() -> list[str]:
    rows = ["| task | objectives | with `data.backtest` also | reported only when named |",
            "|---|---|---|---|"]
    for task in TASK_METRICS:
        plain = objective_names(task)
        more = [n for n in objective_names(task, backtest=True) if n not in plain]
        extra = ", ".join(f"`{m}`" for m in EXTRA_METRICS.get(task, {}))
        basic = [n for n in plain if n.removeprefix("val_") in TASK_METRICS[task]]
        rows.append(f"| `{task}` | {', '.join(f'`{n}`' for n in basic)} | "
                    f"{', '.join(f'`{n}`' for n in more) or '-'} | {extra or '-'} |")
    maximised = ", ".join(f"`{m}`" for m in sorted(MAXIMISED_METRICS))
    return rows + ["", f"Maximised (every other metric is minimised): {maximised}. "
                   f"Backtesting exists for: {', '.join(BACKTEST_TASKS)}."]


def datasets_table() -> list[str]:
    rows = ["| source | task | target or label | season | description |", "|---|---|---|---|---|"]
    for name, ds in DATASETS.items():
        task = "forecast, detect" if ds.label else "forecast"
        rows.append(f"| `builtin:{name}` | {task} | `{ds.target}` | {ds.season or '-'} | "
                    f"{_cell(ds.description)} |")
    for name, seq in SEQUENCE_DATASETS.items():
        rows.append(f"| `builtin:{name}` | classify | `{seq.label}` | - | "
                    f"{_cell(seq.description)} |")
    return rows


def rules_table() -> list[str]:
    """The rules across keys, in the order ``validate`` applies them."""
    rows = ["| rule | keys | what it checks | in the JSON Schema |", "|---|---|---|---|"]
    for rule in sweep_rules.RULES:
        keys = ", ".join(f"`{k}`" for k in rule.keys)
        rows.append(f"| `{rule.name}` | {_cell(keys)} | {_cell(rule.doc)} | "
                    f"{'yes' if rule.mirror else '-'} |")
    return rows


# (heading, model, anchor text used in "mapping (...)" types)
MODELS: list[tuple[str, type[BaseModel], str]] = [
    ("Top level", cfg.SweepConfig, "see Top level"),
    ("data (task: forecast)", cfg.ForecastDataConfig, "see data"),
    ("data (task: classify)", cfg.ClassifyDataConfig, "see data"),
    ("data (task: regress)", cfg.RegressDataConfig, "see data"),
    ("data (task: label)", cfg.LabelDataConfig, "see data"),
    ("data (task: detect)", cfg.DetectDataConfig, "see data"),
    ("data.split", cfg.SplitConfig, "see data.split"),
    ("data.generate", cfg.GenerateConfig, "see data.generate"),
    ("data.backtest", cfg.BacktestConfig, "see data.backtest"),
    ("data.label_from", cfg.LabelFromConfig, "see data.label_from"),
    ("data: searched settings", cfg.NameChoice, "`{choice: [...]}`"),
    ("model", cfg.ModelConfig, "see model"),
    ("tuner", cfg.TunerConfig, "see tuner"),
    ("tuner.pruning", cfg.PruningConfig, "see tuner.pruning"),
    ("training", cfg.TrainingConfig, "see training"),
    ("tracking", cfg.TrackingConfig, "see tracking"),
    ("final_model", cfg.FinalModelConfig, "see final_model"),
    ("final_model.mc_dropout", cfg.McDropoutConfig, "see final_model.mc_dropout"),
]
SPEC_FORMS: list[tuple[str, type[BaseModel]]] = [
    ("`{choice: [...]}`", cfg.ChoiceSpec),
    ("`{int: [lo, hi]}`", cfg.IntSpec),
    ("`{float: [lo, hi]}`", cfg.FloatSpec),
    ("`{first: S, ratio: R}`", cfg.RatioSpec),
    ("`{same_as: W}`", cfg.TiedSpec),
    ("`{per_layer: [...]}`", cfg.LayerSpecs),
]
DATA_FORMS: list[tuple[str, type[BaseModel]]] = [
    ("`{choice: [names]}`", cfg.NameChoice),
    ("`{choice: [integers]}`", cfg.IntChoice),
    ("`{int: [lo, hi]}`", cfg.IntRange),
    ("`{multiple_of_horizon: [...]}`", cfg.HorizonMultiples),
    ("`{choice: [[columns], ...]}`", cfg.FeatureChoice),
]


def _doc(model: type) -> str:
    return " ".join((model.__doc__ or "").split())


def page() -> str:
    """The whole reference page."""
    for _, model, anchor in MODELS:
        _SECTIONS[model] = anchor
    _SECTIONS[cfg.SearchConfig] = "see search"
    for title, model in [*SPEC_FORMS, *DATA_FORMS]:
        _SECTIONS.setdefault(model, title.strip("`"))
    lines = [
        "# Sweep-file reference",
        "",
        "<!-- Generated by tools/gen_reference.py from lstm_automl/config/schema.py, "
        "lstm_automl/config/params.py and lstm_automl/sweep_file/rules.py; do not edit by "
        "hand: run "
        "`python tools/gen_reference.py --write`. tests/test_reference.py checks it. -->",
        "",
        "Every key a sweep file may hold, with its type, default and meaning, as the code "
        "validates it. The guide is [The sweep file](../sweep-file.md); "
        "`lstm-sweep schema` prints the same rules as JSON Schema for editors, and "
        "`lstm-sweep validate SWEEP.yaml` checks a file against them.",
        "",
    ]
    for title, model, _ in MODELS:
        if model is cfg.NameChoice:
            lines += _data_forms()
            continue
        lines += [f"## {title}", "", _doc(model), "", *model_table(model), ""]
        if model is cfg.SweepConfig:
            lines += _search_section()
    lines += ["## Rules across keys", "",
              "Checks that read several keys of a valid file, applied by `validate` and `run` "
              "in this order (the table in `lstm_automl/sweep_file/rules.py`). A problem stops "
              "the sweep (exit 2) before anything is created; a note is printed and the sweep "
              "runs. Rules marked in the JSON Schema are also in `lstm-sweep schema`, so an "
              "editor flags them as you type.", "", *rules_table(), ""]
    lines += ["## Objectives", "", "What `tuner.objective` and "
              "`training.early_stopping_monitor` may name, per `data.task`.", "",
              *objectives_table(), "", "## Built-in datasets", "",
              "`data.source: builtin:NAME`; `generate:adding` and `generate:copy` make synthetic "
              "sequences (see data.generate).", "", *datasets_table(), ""]
    return "\n".join(lines)


def _search_section() -> list[str]:
    lines = ["## search", "", _doc(cfg.SearchConfig) + " Each key is a fixed value or one of "
             "the forms below; keys left out take their default.", "", *search_table(), ""]
    lines += ["### Value forms", ""]
    for title, model in SPEC_FORMS:
        lines += [f"**{title}**: {_doc(model)}", "", *model_table(model), ""]
    lines += [f"`ratio` ({LAYER_RATIO.kind}, default {_value(LAYER_RATIO.default)}): "
              f"{LAYER_RATIO.help}; {LAYER_RATIO.describe_allowed()}.", ""]
    lines += ["### Names", "", *names_tables()]
    lines += ["### Searched training settings", "",
              "These `training` keys take the same value forms as `search` keys.", "",
              *training_search_table(), ""]
    return lines


def _data_forms() -> list[str]:
    lines = ["## data: searched settings", "",
             f"Forecasting searches {', '.join(f'`{n}`' for n in cfg.FORECAST_SEARCHABLE)}; "
             f"classify and regress search "
             f"{', '.join(f'`{n}`' for n in cfg.SEQUENCE_SEARCHABLE)}, and with "
             "`data.label_from` its `lookback` and `horizon` (`{choice: [integers]}` or "
             "`{int: [lo, hi]}`). Each is a fixed value or one of these forms:", ""]
    for title, model in DATA_FORMS:
        lines += [f"**{title}**: {_doc(model)}", "", *model_table(model), ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print, write or check the generated reference page.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        0, or 1 when ``--check`` finds the committed page stale.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {PAGE.relative_to(ROOT)}")
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    args = parser.parse_args(argv)
    text = page()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run "
                  "`python tools/gen_reference.py --write`", file=sys.stderr)
            return 1
        return 0
    if args.write:
        PAGE.parent.mkdir(parents=True, exist_ok=True)
        PAGE.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}")
        return 0
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
