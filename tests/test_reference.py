"""The generated sweep-file reference (docs/reference/sweep-file.md) matches the code: every key,
type, default and domain comes from config/schema.py and config/params.py, every rule across
keys from sweep_file/rules.py, through tools/gen_reference.py, and the committed page must be
what the tool writes now."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lstm_automl.config import params
from tool_modules import load_module

TOOL = Path(__file__).resolve().parents[1] / "tools" / "gen_reference.py"


@pytest.fixture(scope="module")
def reference_tool():
    return load_module(TOOL, "gen_reference")


def test_the_committed_reference_is_current(reference_tool):
    committed = reference_tool.PAGE.read_text(encoding="utf-8")
    assert committed == reference_tool.page(), (
        "docs/reference/sweep-file.md is out of date: run `python tools/gen_reference.py --write`")


def test_every_key_and_hyperparameter_is_on_the_page(reference_tool):
    text = reference_tool.page()
    for name, domain in params.SEARCH_PARAMS.items():
        assert f"| `{name}` | {domain.kind} |" in text, name
    for model in (reference_tool.cfg.TunerConfig, reference_tool.cfg.TrainingConfig,
                  reference_tool.cfg.FinalModelConfig, reference_tool.cfg.TrackingConfig):
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in text, name


def test_a_changed_default_makes_the_page_stale(reference_tool, monkeypatch):
    before = reference_tool.page()
    changed = params.SEARCH_PARAMS["units"].__class__(
        **{**params.SEARCH_PARAMS["units"].__dict__, "default": 48})
    monkeypatch.setitem(params.SEARCH_PARAMS, "units", changed)
    assert reference_tool.page() != before
    assert reference_tool.main(["--check"]) == 1


def test_every_rule_is_on_the_page_and_a_changed_rule_makes_it_stale(reference_tool,
                                                                      monkeypatch):
    from lstm_automl.sweep_file import rules

    text = reference_tool.page()
    for rule in rules.RULES:
        assert f"| `{rule.name}` |" in text and reference_tool._cell(rule.doc) in text, rule.name
    last = rules.RULES[-1]
    changed = last.__class__(**{**last.__dict__, "doc": "something else"})
    monkeypatch.setattr(rules, "RULES", (*rules.RULES[:-1], changed))
    assert reference_tool.page() != text
    assert reference_tool.main(["--check"]) == 1


def test_the_tool_imports_no_training_framework():
    import subprocess

    code = ("import runpy, sys; sys.argv = ['gen_reference.py']; "
            f"runpy.run_path({str(TOOL)!r}, run_name='not_main'); "
            "heavy = [m for m in ('tensorflow', 'jax', 'keras', 'mlflow') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=TOOL.parents[1])


SUMMARY_TOOL = TOOL.parent / "bench_summary.py"


@pytest.fixture(scope="module")
def summary_tool():
    return load_module(SUMMARY_TOOL, "bench_summary")


def test_the_benchmark_summary_is_current(summary_tool):
    assert summary_tool.SUMMARY.read_text(encoding="utf-8") == summary_tool.summary(), (
        "bench/RESULTS.md is out of date: run `python tools/bench_summary.py --write`")


def _run(title: str, date: str, mode: str, value: str) -> str:
    return (f"## {title}\n\n- date (start): {date}\n- machine: test box\n- mode: {mode}\n"
            f"- command: `python bench/x.py`\n\n| a |\n|---|\n| {value} |\n\n")


def test_the_summary_keeps_the_latest_full_run(summary_tool, tmp_path):
    (tmp_path / "2026-11.md").write_text(_run("x: speed", "2026-11-01", "default", "old"))
    (tmp_path / "2026-12.md").write_text(
        _run("x: speed", "2026-12-01", "default", "new")
        + _run("x: speed", "2026-12-02", "quick (smoke)", "smoke")
        + "## x, by hand: a note\n\ntext\n")
    text = summary_tool.summary(tmp_path)
    assert "| new |" in text and "| old |" not in text and "| smoke |" not in text
    assert "- x, by hand: a note ([2026-12.md](runs/2026-12.md))" in text


def test_the_committed_development_series_are_the_generators_own():
    """bench/dev/*.csv are what bench/dev_series.py writes: quality choices made on them can
    be made again by anyone, byte for byte."""
    bench = Path(__file__).resolve().parents[1] / "bench"
    module = load_module(bench / "dev_series.py", "dev_series", register=False)
    for name, (header, make) in module.SERIES.items():
        assert (module.DEV / name).read_text() == module.text_of(header, make), name
