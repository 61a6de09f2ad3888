"""Every check of the sweep file's meaning, in one ordered table: ``RULES``.

A value that can be judged alone is checked where it is born (the spec types and the pydantic
schema in ``config/schema.py``). What needs several keys of the validated file is an entry here:
its name, the keys it reads, the check (``SweepConfig`` -> ``Findings``), the JSON-Schema
construct that mirrors it for editors (``sweep_file/json_schema.py``, where one can) and one line
for the generated reference (``tools/gen_reference.py``). ``loader.check_meaning`` walks the
table in order, so the order here is the order of the messages ``validate`` prints. A new rule
is a function returning ``Findings`` (``meaning.py``, or beside its values under ``config/``)
and an entry here.

Light: no TensorFlow, JAX or MLflow (``validate``, the docs tool).
"""

from __future__ import annotations

from collections.abc import Callable

from lstm_automl.config import schema as cfg
from lstm_automl.config.blend_checks import blend_checks
from lstm_automl.config.dropout_checks import DROPOUT_PARAMS, mc_dropout_checks
from lstm_automl.config.params import WIDTH_PARAMS, condition_parents, window_checks
from lstm_automl.config.start_with import start_with_problems, warm_start_problems
from lstm_automl.config.ties import tie_problems
from lstm_automl.config.training_checks import mape_checks, schedule_notes
from lstm_automl.model.python_model import architecture_problems
from lstm_automl.sweep_file import meaning
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


WINDOW_DATA_KEYS = ("data.task", "data.target", "data.features", "data.lookback", "data.season",
                    "data.time_column", "data.horizon", "data.calendar", "data.seasonal_lag")

RULES: tuple[Rule, ...] = (
    Rule("objective", ("tuner.objective", "data.task", "data.backtest"), meaning.objective,
         "_objective_rules", "tuner.objective names a metric the task's models report; "
         "backtest_* objectives need data.backtest"),
    Rule("direction", ("tuner.direction", "tuner.objective"), meaning.direction, None,
         "a direction against the objective's natural one (maximising a loss) is noted"),
    Rule("python_model", ("model.python", "search"), _problems(architecture_problems),
         "_python_model_rule", "with model.python, search keeps only the training settings; "
         "a network key is refused"),
    Rule("ties", _search(*WIDTH_PARAMS), _ties, None,
         "a width tied with same_as follows a width every trial has, without a cycle"),
    Rule("grid_discrete", ("tuner.algorithm", "search"), meaning.grid_discrete, "_grid_rule",
         "grid search needs a discrete space: every float range needs a step"),
    Rule("grid_size", ("tuner.algorithm", "tuner.max_trials", "tuner.grid_order", "search"),
         meaning.grid_size, None, "a grid smaller than tuner.max_trials ends early; a larger "
         "one says which part tuner.grid_order tries"),
    Rule("grid_order", ("tuner.grid_order", "tuner.algorithm"), meaning.grid_order_ignored,
         None, "tuner.grid_order is noted as ignored unless algorithm is grid"),
    Rule("hyperband_trials", ("tuner.algorithm", "tuner.max_trials"), meaning.hyperband_trials,
         None, "hyperband sets its own number of trials; a tuner.max_trials is noted as unused"),
    Rule("nothing_searched", ("search", "tuner.max_trials"), meaning.nothing_searched, None,
         "a space with one point needs one trial, not tuner.max_trials"),
    Rule("inactive", ("search",), meaning.inactive, None, "a searched key whose parent never "
         "switches it on (active_when) has no effect: noted"),
    Rule("fcn_off", _search("fcn_branch", "fcn_filters", "dimension_shuffle"), meaning.fcn_off,
         None, "a fixed FCN setting other than its default needs fcn_branch: true somewhere"),
    Rule("window_settings", _search("window_norm", "residual", "multi_step") + WINDOW_DATA_KEYS,
         _windows, "_forecast_only_rules", "window_norm, residual and multi_step: recursive act "
         "on one target's history in a forecast window: refused where no trial can use them "
         "(several targets, another task, no target among the inputs, no season that fits), "
         "noted where some trials cannot"),
    Rule("gpu_kernels", (*_search("cell", "recurrent_dropout", "activation"), "training.backend"),
         meaning.gpu_kernels, None, "on a GPU, cells and settings that leave cuDNN for the "
         "slower generic loop are noted"),
    Rule("classify_loss", ("data.task", "search.loss"), meaning.classify_loss, None,
         "classification trains with cross-entropy: another search.loss is noted as ignored"),
    Rule("plateau_schedule", (*_search("lr_schedule", "plateau_patience"),
                              "training.early_stopping_patience"),
         _notes(schedule_notes), None, "a plateau patience not below early stopping's never "
         "lowers the learning rate: noted"),
    Rule("mape_loss", ("search.loss", "data.task", "data.scaling", "data.transform"),
         _both(mape_checks), None, "loss: mape divides by the scaled target: refused with a "
         "scaling or transform that centres it on 0, noted with minmax"),
    Rule("start_with", ("tuner.start_with",), _problems(start_with_problems), None,
         "each tuner.start_with value is one the search space can take"),
    Rule("warm_start", ("tuner.warm_start", "tuner.algorithm", "name"),
         _problems(warm_start_problems), None, "tuner.warm_start needs an algorithm that takes "
         "earlier results and names another sweep"),
    Rule("mc_dropout", ("final_model.mc_dropout", "model.python", *_search(*DROPOUT_PARAMS)),
         _both(mc_dropout_checks), None, "final_model.mc_dropout needs dropout in the search "
         "space; noted where trials can have none"),
    Rule("blend", ("final_model.blend", "data.task", "data.target", "final_model.mc_dropout"),
         _problems(blend_checks), None, "final_model.blend: with_baselines needs one forecast "
         "target and no mc_dropout"),
    Rule("budget", ("tuner.pruning", "training.epochs", "training.max_trial_time",
                    "tuner.max_time"), meaning.budget, None, "pruning that starts after the "
         "last epoch, or a trial time limit longer than the sweep's, is noted"),
    Rule("early_stopping_monitor", ("training.early_stopping_monitor", "data.task",
                                    "training.early_stopping_patience"),
         meaning.early_stopping_monitor, None, "the early-stopping monitor is a metric the "
         "model reports; without a patience it is noted as off"),
    Rule("hyperband_epochs", ("training.epochs", "tuner.algorithm", "model"),
         meaning.hyperband_epochs, None, "hyperband sets each trial's epochs: training.epochs "
         "is one number"),
    Rule("patience", ("training.early_stopping_patience", "training.epochs"), meaning.patience,
         None, "an early-stopping patience of at least the epochs never fires: noted"),
)

