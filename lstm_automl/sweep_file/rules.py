"""Every check of the sweep file's meaning, in one ordered table: ``RULES``.

A value that can be judged alone is checked where it is born (the spec types and the pydantic
schema in ``config/schema.py``). What needs several keys of the validated file is an entry here:
its name, the keys it reads, the check (``SweepConfig`` -> ``Findings``), the JSON-Schema
construct that mirrors it for editors (``sweep_file/json_schema.py``, where one can) and one line
for the generated reference (``tools/gen_reference.py``). ``loader.check_meaning`` walks the
table in order, so the order here is the order of the messages ``validate`` prints. A new rule
is a function returning ``Findings`` (below, or beside its values under ``config/``) and an
entry in the table.

Light: no TensorFlow, JAX or MLflow (``validate``, the docs tool).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lstm_automl.config import schema as cfg
from lstm_automl.config.blend_checks import blend_checks
from lstm_automl.config.dropout_checks import DROPOUT_PARAMS, mc_dropout_checks
from lstm_automl.config.label_checks import label_problems
from lstm_automl.config.label_from_checks import label_from_problems
from lstm_automl.config.names import (
    higher_is_better,
    is_own_metric,
    objective_problem,
    own_metric_problem,
)
from lstm_automl.config.params import (
    SEARCH_PARAMS,
    WIDTH_PARAMS,
    condition_parents,
    rule_holds,
    window_checks,
)
from lstm_automl.config.space_checks import (
    batch_norm_between_notes,
    bayesian_start_notes,
    layer_spec_problems,
    output_activation_checks,
    ratio_width_problems,
)
from lstm_automl.config.space_summary import data_size, is_searched, space_size, training_size
from lstm_automl.config.start_with import start_with_problems, warm_start_problems
from lstm_automl.config.text_checks import text_problems
from lstm_automl.config.ties import tie_problems
from lstm_automl.config.training_checks import mape_checks, schedule_notes
from lstm_automl.model.kernel_tags import gpu_visible, planned_backend, space_kernel_notes
from lstm_automl.model.python_model import architecture_problems
from lstm_automl.sweep_file.findings import Findings, Rule

__all__ = ["RULES", "Findings", "Rule"]

Check = Callable[[cfg.SweepConfig], Findings]


def _problems(check: Callable[[cfg.SweepConfig], list[str]]) -> Check:
    """A check that returns problem lines, as one that returns ``Findings``."""
    return lambda config: Findings.of(problems=check(config))


def _notes(check: Callable[[cfg.SweepConfig], list[str]]) -> Check:
    return lambda config: Findings.of(notes=check(config))


def _both(check: Callable[[cfg.SweepConfig], tuple[list[str], list[str]]]) -> Check:
    """A check that returns (problems, notes), as one that returns ``Findings``."""
    def found(config: cfg.SweepConfig) -> Findings:
        problems, notes = check(config)
        return Findings.of(problems, notes)
    return found


def _ties(config: cfg.SweepConfig) -> Findings:
    specs = config.search.specs()
    return Findings.of(tie_problems(specs, {p: cfg.spec_values(specs[p]) or []
                                            for p in condition_parents()}))


def _windows(config: cfg.SweepConfig) -> Findings:
    problems, notes = window_checks(config.search.specs(), config.data)
    return Findings.of(problems, notes)


def _search(*names: str) -> tuple[str, ...]:
    return tuple(f"search.{name}" for name in names)


# The checks that have no module of their own (the others live beside their values, under
# config/), each SweepConfig -> Findings.


def _has_backtest(config: cfg.SweepConfig) -> bool:
    return getattr(config.data, "backtest", None) is not None


def detect_final_model(config: cfg.SweepConfig) -> Findings:
    """A detector's threshold is chosen on validation scores: a model trained on those rows
    would score them too low and set the threshold too low. Its served output is a score and a
    flag per row, which has no Monte-Carlo form."""
    if config.data.task != "detect":
        return Findings()
    problems = []
    if config.final_model.refit:
        problems.append("final_model.refit: task detect chooses its threshold on the "
                        "validation split, which a refit would train on; set refit: false")
    if config.final_model.mc_dropout is not None:
        problems.append("final_model.mc_dropout: not available for task detect (it serves one "
                        "score and flag per row); remove it")
    return Findings.of(problems)


# Search keys a reconstructing autoencoder has no use for, with the one value it builds with.
AUTOENCODER_FIXED = {"window_norm": "none", "residual": "none", "fcn_branch": False,
                     "output_bias": "zeros"}


def detect_autoencoder(config: cfg.SweepConfig) -> Findings:
    """``scorer: autoencoder`` rebuilds a window instead of forecasting the next step: the
    forecast-window settings, the FCN branch (a classifier's) and the output prior (of one
    forecast) have nothing to act on, and a Python model cannot be given its decoder."""
    if config.data.task != "detect" or getattr(config.data, "scorer", "") != "autoencoder":
        return Findings()
    problems = []
    if config.model is not None:
        problems.append("model.python: scorer: autoencoder builds its own encoder and decoder "
                        "from search; remove model or use scorer: forecast")
    specs = config.search.specs()
    for name, allowed in AUTOENCODER_FIXED.items():
        values = cfg.spec_values(specs[name]) if name in specs else None
        used = [v for v in values or [] if v != allowed]
        if used:
            problems.append(f"search.{name}: not used by data.scorer: autoencoder, which "
                            f"rebuilds the window (got {', '.join(map(str, used))}; allowed: "
                            f"{str(allowed).lower()})")
    return Findings.of(problems)


def objective(config: cfg.SweepConfig) -> Findings:
    """The objective is a metric this task's models report (backtest_* with data.backtest);
    with ``model.python`` also the function's own validation metric, given a direction (the
    run checks that the built model reports it)."""
    name, task = config.tuner.objective, config.data.task
    problem = objective_problem(task, name, _has_backtest(config))
    if problem is None or config.model is None:
        return Findings.of([problem])
    own = own_metric_problem("tuner.objective", name, config.tuner.direction)
    note = (f"tuner.objective: '{name}' is not one of lstm-sweep's {task} metrics: the model "
            f"model.python builds must be compiled with it (checked when the run builds it "
            f"once)")
    return Findings.of([own], [None if own else note])


def direction(config: cfg.SweepConfig) -> Findings:
    """An explicit direction against the metric's natural one is allowed, and noted."""
    objective = config.tuner.objective
    if config.model is not None and is_own_metric(config.data.task, objective):
        return Findings()  # the user's own metric: its direction is the user's word
    if config.tuner.direction == ("min" if higher_is_better(objective) else "max"):
        return Findings.of(notes=[f"tuner.direction: {config.tuner.direction}imising "
                                  f"'{objective}' is unusual"])
    return Findings()


def sweep_size(config: cfg.SweepConfig) -> int | None:
    """The trials that differ (space x data variants x searched training settings), or None
    when a range is continuous or a ``model.python`` function declares hyperparameters of its
    own."""
    size = space_size(config.search.specs())
    if size is None or config.model is not None:
        return None
    trained = training_size(config)
    return None if trained is None else size * data_size(config) * trained


def grid_discrete(config: cfg.SweepConfig) -> Findings:
    """Grid search needs a finite space: every float range needs a step."""
    if config.tuner.algorithm != "grid":
        return Findings()
    return Findings.of([f"search.{name}{part}.float: grid search needs a discrete space; "
                        f"add a step or use choice" for name, part in
                        _continuous(config.search.specs())])


def grid_size(config: cfg.SweepConfig) -> Findings:
    """A grid smaller than max_trials ends early; a larger one tries only part of itself."""
    size = sweep_size(config) if config.tuner.algorithm == "grid" else None
    if size is None:
        return Findings()
    trials = config.tuner.max_trials
    if size < trials:
        return Findings.of(notes=[f"tuner.max_trials: the grid has only {size} points, fewer "
                                  f"than max_trials ({trials}); the sweep ends when it is "
                                  f"exhausted"])
    if size > trials:  # the tuner stops at max_trials
        return Findings.of(notes=[_grid_order_note(config, config.search.specs(), size)])
    return Findings()


def grid_order_ignored(config: cfg.SweepConfig) -> Findings:
    """``tuner.grid_order`` means something only to the grid tuner."""
    if config.tuner.algorithm != "grid" and config.tuner.grid_order != "sequential":
        return Findings.of(notes=[f"tuner.grid_order: only for algorithm: grid; ignored with "
                                  f"{config.tuner.algorithm}"])
    return Findings()


def hyperband_trials(config: cfg.SweepConfig) -> Findings:
    """Hyperband counts its own trials."""
    if config.tuner.algorithm == "hyperband" and config.tuner.max_trials != 10:
        return Findings.of(notes=["tuner.max_trials: hyperband sets its own number of trials "
                                  "from training.epochs and tuner.hyperband_factor"])
    return Findings()


def nothing_searched(config: cfg.SweepConfig) -> Findings:
    """A space of one point needs one trial."""
    if sweep_size(config) == 1 and config.tuner.max_trials > 1:
        return Findings.of(notes=["search: nothing is searched (every value is fixed); one "
                                  "trial is enough"])
    return Findings()


def inactive(config: cfg.SweepConfig) -> Findings:
    """A searched value whose parent never switches it on (``active_when``) is wasted."""
    specs, notes = config.search.specs(), []
    for name, domain in SEARCH_PARAMS.items():
        if domain.active_when is None or not is_searched(specs[name]):
            continue
        parent, rule = domain.active_when
        parent_values = cfg.spec_values(specs[parent]) or []
        if not any(rule_holds(rule, v) for v in parent_values):
            notes.append(f"search.{name}: has no effect while {parent} is {_never_text(rule)}")
    return Findings.of(notes=notes)


def fcn_off(config: cfg.SweepConfig) -> Findings:
    """A fixed ``fcn_filters`` or ``dimension_shuffle`` other than its default while
    ``fcn_branch`` is never true would change nothing: refused (a searched one is noted by
    ``inactive``)."""
    specs = config.search.specs()
    if any(rule_holds("true", v) for v in cfg.spec_values(specs["fcn_branch"]) or []):
        return Findings()
    problems = []
    for name, domain in SEARCH_PARAMS.items():
        if domain.active_when != ("fcn_branch", "true") or is_searched(specs[name]):
            continue
        value = (cfg.spec_values(specs[name]) or [domain.default])[0]
        if value != domain.default:
            shown = str(value).lower() if isinstance(value, bool) else value
            problems.append(f"search.{name}: {shown} only applies with fcn_branch: true "
                            f"(the FCN branch is off in this sweep)")
    return Findings.of(problems)


def gpu_kernels(config: cfg.SweepConfig) -> Findings:
    """Cells that leave cuDNN on a GPU; on a CPU every family runs the same loop (validate
    prints these anyway)."""
    if not gpu_visible():
        return Findings()
    return Findings.of(notes=space_kernel_notes(config.search.specs(),
                                                planned_backend(config.training.backend)))


def classify_loss(config: cfg.SweepConfig) -> Findings:
    """Classification always trains with cross-entropy."""
    if config.data.task in ("classify", "label") and \
            config.search.specs()["loss"] != SEARCH_PARAMS["loss"].default:
        return Findings.of(notes=["search.loss: classification always trains with "
                                  "cross-entropy; ignored"])
    return Findings()


def budget(config: cfg.SweepConfig) -> Findings:
    """Pruning and time settings that cannot do what they say."""
    notes = []
    pruning, epochs = config.tuner.pruning, config.training.max_epochs()
    if pruning.enabled and pruning.min_epochs >= epochs:
        notes.append(f"tuner.pruning.min_epochs: {pruning.min_epochs} >= training.epochs "
                     f"({epochs}), so no trial is ever pruned")
    limit, total = config.training.max_trial_seconds, config.tuner.max_time_seconds
    if limit is not None and total is not None and limit > total:
        notes.append("training.max_trial_time: longer than tuner.max_time; the sweep's budget "
                     "stops a trial first")
    return Findings.of(notes=notes)


def early_stopping_monitor(config: cfg.SweepConfig) -> Findings:
    """The monitor is a metric the model reports (as the objective), and needs a patience."""
    monitor = config.training.early_stopping_monitor
    if monitor is None:
        return Findings()
    why = objective_problem(config.data.task, monitor, _has_backtest(config))
    if why and config.model is not None and monitor == config.tuner.objective:
        why = None  # the function's own metric: the objective rule judges it
    problem = why and why.replace(f"tuner.objective: '{monitor}'",
                                  f"training.early_stopping_monitor: '{monitor}'")
    note = None
    if config.training.early_stopping_patience is None:
        note = ("training.early_stopping_monitor: early stopping is off "
                "(early_stopping_patience: null)")
    return Findings.of([problem], [note])


def hyperband_epochs(config: cfg.SweepConfig) -> Findings:
    """Hyperband gives each trial its epochs: a searched epochs would fight it."""
    searched = config.training.searched()
    if searched and config.model is None and config.tuner.algorithm == "hyperband" and \
            "epochs" in searched:
        return Findings.of(["training.epochs: hyperband sets each trial's epochs itself; give "
                            "one number (its budget)"])
    return Findings()


def patience(config: cfg.SweepConfig) -> Findings:
    """A patience as long as the training never stops it early."""
    patience = config.training.early_stopping_patience
    if patience is not None and patience >= config.training.max_epochs():
        return Findings.of(notes=["training.early_stopping_patience: >= epochs, so early "
                                  "stopping never fires"])
    return Findings()


def _grid_order_note(config: cfg.SweepConfig, specs: dict[str, Any], size: int) -> str:
    """Which order applies to a grid larger than ``max_trials``, and what it means."""
    trials, order = config.tuner.max_trials, config.tuner.grid_order
    head = f"tuner.grid_order {order}: {trials} of the grid's {size:,} combinations"
    if order == "sequential":
        return (f"{head} are tried, in keras-tuner's order (the last parameter changes "
                f"fastest), so values of the first parameters may never be tried; "
                f"tuner.grid_order: even tries every value of every parameter early, random a "
                f"seeded random subset")
    if order == "random":
        return f"{head}, a seeded random subset without repeats"
    counts = [len(v) for v in config.data.searched_data().values()]
    counts += [len(cfg.spec_values(s) or []) for s in
               [*specs.values(), *config.training.searched().values()]
               if not isinstance(s, cfg.RatioSpec)]
    most = max(counts, default=1)
    parents = [n for n in condition_parents() if is_searched(specs[n])]
    if parents:
        return (f"{head}, every parameter changing from one trial to the next within each "
                f"combination of {', '.join(parents)} (visited in turn)")
    covered = "so every value of every parameter is tried" if trials >= most else (
        f"too few to try every value of a parameter with {most} values")
    return f"{head}, every parameter changing from one trial to the next: {covered}"


def _continuous(specs: dict[str, Any]) -> list[tuple[str, str]]:
    """(param, part) of every float range without a step (part: ``.first``/``.ratio`` inside a
    ratio spec)."""
    found = []
    for name, spec in specs.items():
        parts = [("", spec)] if not isinstance(spec, cfg.RatioSpec) else [
            (".first", spec.first), (".ratio", spec.ratio)]
        if isinstance(spec, cfg.LayerSpecs):
            parts = [(f".per_layer.{i}", part) for i, part in enumerate(spec.per_layer)]
        found += [(name, part) for part, s in parts
                  if isinstance(s, cfg.FloatSpec) and s.step is None]
    return found


def _never_text(rule: str) -> str:
    return {"true": "false", ">0": "0"}.get(rule, f"not {rule[1:]}")


WINDOW_DATA_KEYS = ("data.task", "data.target", "data.features", "data.lookback", "data.season",
                    "data.time_column", "data.horizon", "data.calendar", "data.seasonal_lag")

RULES: tuple[Rule, ...] = (
    Rule("objective", ("tuner.objective", "data.task", "data.backtest", "model.python",
                       "tuner.direction"), objective,
         mirror="_objective_rules",
         doc="tuner.objective names a metric the task's models report; backtest_* objectives "
             "need data.backtest; with model.python also the function's own val_ metric, "
             "given tuner.direction"),
    Rule("direction", ("tuner.direction", "tuner.objective"), direction, mirror=None,
         doc="a direction against the objective's natural one (maximising a loss) is noted"),
    Rule("python_model", ("model.python", "search"), _problems(architecture_problems),
         mirror="_python_model_rule",
         doc="with model.python, search keeps only the training settings; a network key is "
             "refused"),
    Rule("ties", _search(*WIDTH_PARAMS), _ties, mirror=None,
         doc="a width tied with same_as follows a width every trial has, without a cycle"),
    Rule("ratio_widths", (*_search("units", "dense_units", "layers", "dense_layers"),),
         lambda config: Findings.of(ratio_width_problems(config.search.specs())), mirror=None,
         doc="{first, ratio} widths may not grow past the width limit (4096) in the deepest "
             "layer a trial can have"),
    Rule("layer_specs", _search(*(n for n, d in SEARCH_PARAMS.items() if d.per_layer),
                                "layers", "dense_layers"),
         lambda config: Findings.of(layer_spec_problems(config.search.specs())), mirror=None,
         doc="{per_layer: [...]} lists one spec per layer: as many as the most layers a trial "
             "can have (a trial with fewer uses the first ones)"),
    Rule("grid_discrete", ("tuner.algorithm", "search"), grid_discrete, mirror="_grid_rule",
         doc="grid search needs a discrete space: every float range needs a step"),
    Rule("grid_size", ("tuner.algorithm", "tuner.max_trials", "tuner.grid_order", "search"),
         grid_size, mirror=None,
         doc="a grid smaller than tuner.max_trials ends early; a larger one says which part "
             "tuner.grid_order tries"),
    Rule("bayesian_start", ("tuner.algorithm", "tuner.max_trials", "tuner.warm_start",
                            "search"), _notes(bayesian_start_notes), mirror=None,
         doc="a bayesian search whose trials all fall in its random start (3 per searched "
             "hyperparameter) never runs its Gaussian process: noted"),
    Rule("grid_order", ("tuner.grid_order", "tuner.algorithm"), grid_order_ignored, mirror=None,
         doc="tuner.grid_order is noted as ignored unless algorithm is grid"),
    Rule("hyperband_trials", ("tuner.algorithm", "tuner.max_trials"), hyperband_trials,
         mirror=None,
         doc="hyperband sets its own number of trials; a tuner.max_trials is noted as unused"),
    Rule("nothing_searched", ("search", "tuner.max_trials"), nothing_searched, mirror=None,
         doc="a space with one point needs one trial, not tuner.max_trials"),
    Rule("inactive", ("search",), inactive, mirror=None,
         doc="a searched key whose parent never switches it on (active_when) has no effect: "
             "noted"),
    Rule("fcn_off", _search("fcn_branch", "fcn_filters", "dimension_shuffle"), fcn_off,
         mirror=None,
         doc="a fixed FCN setting other than its default needs fcn_branch: true somewhere"),
    Rule("window_settings", (*_search("window_norm", "residual", "multi_step"),
                             *WINDOW_DATA_KEYS), _windows,
         mirror="_forecast_only_rules",
         doc="window_norm, residual and multi_step: recursive act on one target's history in a "
             "forecast window: refused where no trial can use them (several targets, another "
             "task, no target among the inputs, no season that fits), noted where some trials "
             "cannot"),
    Rule("label_task", ("data.task", "data.layout", "data.window", "final_model.mc_dropout",
                        *_search("fcn_branch", "dimension_shuffle")),
         _problems(label_problems), mirror=None,
         doc="task: label predicts every step: a wide layout, data.window, mc_dropout and "
             "settings that pool the sequence into one vector (fcn_branch, dimension_shuffle) "
             "are refused"),
    Rule("label_from", ("data.label_from", "data.source", "data.layout", "data.case_column",
                        "data.window", "data.window_step", "data.text", "data.label",
                        "final_model.mc_dropout"),
         _problems(label_from_problems), mirror=None,
         doc="data.label_from (task classify) reads one series from a CSV/Parquet file or a "
             "shipped series: the keys of sequence tables (layout, case_column, window, "
             "window_step, text, label), generated or shipped sequence sets and mc_dropout "
             "are refused; a horizon < 1 or a threshold < 0 is refused by the schema, too few "
             "rows for the largest lookback + horizon and a class absent from training when "
             "the data is read"),
    Rule("text_input", ("data.text", "data.tokens", "data.kmer", "data.max_length",
                        "data.layout",
                        "data.case_column", "data.time_column", "data.features", "data.window",
                        "data.window_step", "data.scaling", "final_model.mc_dropout",
                        "model.python", *_search("embedding_dim", "vocab_size")),
         _problems(text_problems), mirror=None,
         doc="embedding_dim, vocab_size, data.tokens and data.max_length need a text input "
             "(data.text); with one, the layout, window and feature keys of sequence tables, "
             "mc_dropout and model.python are refused; data.kmer and tokens: kmer come "
             "together, and not with task: label"),
    Rule("gpu_kernels", (*_search("cell", "recurrent_dropout", "activation"), "training.backend"),
         gpu_kernels, mirror=None,
         doc="on a GPU, cells and settings that leave cuDNN for the slower generic loop are "
             "noted"),
    Rule("classify_loss", ("data.task", "search.loss"), classify_loss, mirror=None,
         doc="classification trains with cross-entropy: another search.loss is noted as "
             "ignored"),
    Rule("plateau_schedule", (*_search("lr_schedule", "plateau_patience"),
                              "training.early_stopping_patience"), _notes(schedule_notes),
         mirror=None,
         doc="a plateau patience not below early stopping's never lowers the learning rate: "
             "noted"),
    Rule("mape_loss", ("search.loss", "data.task", "data.scaling", "data.transform"),
         _both(mape_checks), mirror=None,
         doc="loss: mape divides by the scaled target: refused with a scaling or transform "
             "that centres it on 0, noted with minmax"),
    Rule("output_activation", ("search.output_activation", "data.task", "data.scaling",
                               *_search("window_norm", "residual")),
         _both(output_activation_checks), mirror=None,
         doc="a bounded output_activation (sigmoid, tanh, relu) needs a target scaling that "
             "puts the target in its range: refused with standard or robust scaling and for "
             "classify, noted with minmax or none"),
    Rule("batch_norm_between", _search("batch_norm_between", "layers", "norm"),
         _notes(batch_norm_between_notes), mirror=None,
         doc="batch_norm_between with one recurrent layer does nothing, and beside norm: batch "
             "doubles the batch norm: noted"),
    Rule("start_with", ("tuner.start_with",), _problems(start_with_problems), mirror=None,
         doc="each tuner.start_with value is one the search space can take"),
    Rule("warm_start", ("tuner.warm_start", "tuner.algorithm", "name"),
         _problems(warm_start_problems), mirror=None,
         doc="tuner.warm_start needs an algorithm that takes earlier results and names another "
             "sweep"),
    Rule("mc_dropout", ("final_model.mc_dropout", "model.python", *_search(*DROPOUT_PARAMS)),
         _both(mc_dropout_checks), mirror=None,
         doc="final_model.mc_dropout needs dropout in the search space; noted where trials can "
             "have none"),
    Rule("blend", ("final_model.blend", "data.task", "data.target", "final_model.mc_dropout"),
         _problems(blend_checks), mirror=None,
         doc="final_model.blend: with_baselines needs one forecast target and no mc_dropout"),
    Rule("detect_final_model", ("data.task", "final_model.refit", "final_model.mc_dropout"),
         detect_final_model, mirror=None,
         doc="task detect chooses its threshold on validation scores: final_model.refit "
             "(which trains on those rows) is refused, and so is mc_dropout (it serves a "
             "score and flag per row)"),
    Rule("detect_autoencoder", ("data.task", "data.scorer", "model.python",
                                *_search(*AUTOENCODER_FIXED)),
         detect_autoencoder, mirror=None,
         doc="data.scorer: autoencoder rebuilds windows: window_norm, residual, fcn_branch and "
             "output_bias: prior have nothing to act on and model.python cannot be used"),
    Rule("budget", ("tuner.pruning.min_epochs", "training.epochs", "training.max_trial_time",
                    "tuner.max_time"), budget, mirror=None,
         doc="pruning that starts after the last epoch, or a trial time limit longer than the "
             "sweep's, is noted"),
    Rule("early_stopping_monitor", ("training.early_stopping_monitor", "data.task",
                                    "training.early_stopping_patience"),
         early_stopping_monitor, mirror=None,
         doc="the early-stopping monitor is a metric the model reports; without a patience it "
             "is noted as off"),
    Rule("hyperband_epochs", ("training.epochs", "tuner.algorithm", "model"), hyperband_epochs,
         mirror=None, doc="hyperband sets each trial's epochs: training.epochs is one number"),
    Rule("patience", ("training.early_stopping_patience", "training.epochs"), patience,
         mirror=None,
         doc="an early-stopping patience of at least the epochs never fires: noted"),
)
