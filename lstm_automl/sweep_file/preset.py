"""Resolve a sweep file's preset into concrete keys, once, before the file is validated.

Only keys the file (with its ``--set`` overrides) does not write are filled, so an explicit key
always wins. For a forecast of one target, the training rows decide the data keys: ``log`` for a
positive series whose spread grows with its level, a per-window level (``window_norm: last``)
where KPSS finds a trend or unit root, a lookback of two seasons where the season is strong,
and the residuals searched (seasonal-naive only for a seasonal series). A classifier of numeric
sequences gets the LSTM-FCN branch. Reads the target column only (NumPy, no TensorFlow):
``validate`` stays light.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_automl.config.names import did_you_mean
from lstm_automl.config.presets import PRESET_ENV, PRESET_NAMES, PRESETS, Preset, preset_name
from lstm_automl.config.schema import ForecastDataConfig
from lstm_automl.errors import ConfigError, LstmSweepError

if TYPE_CHECKING:
    from lstm_automl.data.series_profile import SeriesProfile

MAX_LOOKBACK = 64  # the longest window neuralforecast's AutoLSTM offers, chosen by its winners
PLAIN_LOOKBACK = 24  # without a strong season
MIN_HYBRID_WINDOWS = 20  # training windows an AR or ETS hybrid is fitted on, at least
# Sections whose keys make one decision: a file that writes the section keeps it as written
# (an ensemble of 3 refit members is not made 3 x 2 seeds behind the user's back).
WHOLE_SECTIONS = ("final_model",)
_PROBE_KEYS = ("source", "target", "time_column", "time_format", "split", "fill", "season",
               "horizon", "task")


def apply_preset(raw: dict[str, Any], base_dir: Path,
                 source: str = "") -> tuple[dict[str, Any], str, list[str]]:
    """(the file's mapping with the preset's keys written in, the preset's name, one line per
    value the preset chose). A preset the file names wrongly is left for the schema to refuse;
    a wrong one in the environment is refused here (ConfigError)."""
    name = preset_name(raw)
    if "preset" not in raw and name not in PRESET_NAMES:
        hint = did_you_mean(name, PRESET_NAMES) or ";"
        raise ConfigError(source, [f"${PRESET_ENV}: {name!r} is not a preset{hint} expected one "
                                   f"of: {', '.join(PRESET_NAMES)}"])
    if not isinstance(name, str) or name not in PRESETS:
        return raw, name if isinstance(name, str) else "", []
    preset = PRESETS[name]()
    resolved = copy.deepcopy(raw)
    resolved["preset"] = name
    lines = _budget(resolved, preset)
    lines += _forecast_choices(resolved, preset, base_dir, wrote_final=raw.get("final_model")
                               is not None)
    lines += _classify_choices(resolved)
    return resolved, name, lines


def _section(resolved: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The file's section ``key`` (created when absent); None when it is not a mapping (the
    schema refuses it)."""
    section = resolved.setdefault(key, {})
    if section is None:
        section = resolved[key] = {}
    return section if isinstance(section, dict) else None


def _budget(resolved: dict[str, Any], preset: Preset) -> list[str]:
    lines: list[str] = []
    for name, keys in preset.budget.items():
        if name in WHOLE_SECTIONS and resolved.get(name) is not None:
            continue
        section = _section(resolved, name)
        if section is None:
            continue
        for key, value in keys.items():
            if key in section:
                continue
            if name == "tuner" and key == "max_trials" and \
                    section.get("algorithm") in ("hyperband", "grid"):
                continue  # hyperband sets its own trials; a grid stops when exhausted
            if name == "final_model" and key == "refit" and \
                    isinstance(resolved.get("data"), dict) and \
                    resolved["data"].get("task") == "detect":
                continue  # the threshold is chosen on validation scores (rules.detect_final_model)
            if name == "final_model" and key == "top_k":
                trials = (resolved.get("tuner") or {}).get("max_trials")
                value = min(value, trials) if isinstance(trials, int) and trials > 0 else value
            section[key] = value
            lines.append(f"{name}.{key}: {_text(value)}")
    return lines


def _forecast_choices(resolved: dict[str, Any], preset: Preset, base_dir: Path,
                      wrote_final: bool) -> list[str]:
    data = resolved.get("data")
    if not isinstance(data, dict) or data.get("task", "forecast") != "forecast":
        return []
    target = data.get("target")
    if isinstance(target, list) and len(target) > 1:
        return ["data: several targets, so no per-series choices (window_norm and residual "
                "work on one target)"]
    lines = [] if wrote_final else _blend(resolved)
    probe = _read_training_rows(data, base_dir)
    if probe is None:
        return lines  # the data cannot be read: the ordinary checks say why
    values, season, windows_rows = probe
    from lstm_automl.data.series_profile import profile_series  # defers numpy

    profile = profile_series(values, season)
    if "transform" not in data:
        data["transform"] = "log" if profile.wants_log else "none"
        lines.append(f"data.transform: {data['transform']} ({_log_reason(profile)})")
    seasonal = profile.seasonal and season is not None  # the data infers the same season
    if "lookback" not in data:
        data["lookback"], why = _lookback(season if seasonal else None, windows_rows)
        lines.append(f"data.lookback: {data['lookback']} ({why})")
    if resolved.get("model") is not None or not _sees_target(data):
        return lines
    if _differences(data.get("transform")):
        return [*lines, "search: window_norm and residual left as written (data.transform "
                "differences the series, which already removes its level)"]
    search = _section(resolved, "search")
    if search is None:
        return lines
    return lines + _search_choices(search, data, profile, season if seasonal else None,
                                   season, preset, windows_rows)


def _classify_choices(resolved: dict[str, Any]) -> list[str]:
    """A classifier of numeric sequences gets the LSTM-FCN family (Karim et al. 2018): on few,
    long training sequences recurrent layers alone fell far below 1-NN, and the convolutional
    branch beside them closed the gap (bench/runs/2026-12.md, development sets)."""
    data = resolved.get("data")
    if not isinstance(data, dict) or data.get("task") != "classify" or data.get("text") or \
            resolved.get("model") is not None:
        return []
    search = _section(resolved, "search")
    if search is None or "fcn_branch" in search:
        return []
    search["fcn_branch"] = True
    return ["search.fcn_branch: true (classification: LSTM-FCN, a convolutional branch beside "
            "the recurrent layers; write fcn_branch: false for recurrent layers only)"]


def _blend(resolved: dict[str, Any]) -> list[str]:
    """A forecast of one series registers the networks blended with the classical baselines,
    so that where the networks lose, the served forecast is still near the strongest classical
    one (and the network alone's score is shown beside it)."""
    final = _section(resolved, "final_model")
    if final is None or "blend" in final:
        return []
    final["blend"] = "with_baselines"
    return ["final_model.blend: with_baselines (one series: the networks and the classical "
            "baselines weighted on validation; the network alone is shown beside it)"]


def _search_choices(search: dict[str, Any], data: dict[str, Any], profile: SeriesProfile,
                    strong: int | None, season: int | None, preset: Preset,
                    rows: int) -> list[str]:
    """The window level and the residuals searched (``strong``: the season where it is)."""
    lines: list[str] = []
    if "window_norm" not in search:
        search["window_norm"] = "last" if profile.trending else {"choice": ["none", "last"]}
        lines.append(f"search.window_norm: {_text(search['window_norm'])} "
                     f"({_trend_reason(profile)})")
    if "residual" not in search:
        options = _residuals(strong, data, preset, rows)
        search["residual"] = {"choice": options}
        if "seasonal_naive" in options and "season" not in data and \
                not str(data.get("source", "")).startswith("builtin:"):
            data["season"] = season  # what the time column says, so the checks know it now
        lines.append(f"search.residual: {_text(search['residual'])} "
                     f"({_season_reason(profile, season)})")
    return lines


def _read_training_rows(data: dict[str, Any],
                        base_dir: Path) -> tuple[Any, int | None, int] | None:
    """(the target's training rows in original units, the season, the training row count), or
    None when the data section or the data cannot be read as it stands."""
    from pydantic import ValidationError

    from lstm_automl.data.forecast import prepare_forecast  # defers numpy

    probe = {k: v for k, v in data.items() if k in _PROBE_KEYS}
    probe.update(lookback=1, transform="none", scaling="none")
    try:
        config = ForecastDataConfig.model_validate(probe)
        prepared = prepare_forecast(config, base_dir)
    except (ValidationError, LstmSweepError, ValueError, OSError):
        return None
    rows = prepared.split_rows["train"][1]
    return prepared.series[:rows], prepared.season, rows


def _differences(transform: Any) -> bool:
    """Whether a written transform (or any of its searched values) differences the series."""
    values = transform.get("choice", []) if isinstance(transform, dict) else [transform]
    return any(isinstance(v, str) and v.endswith("diff") for v in values)


def _sees_target(data: dict[str, Any]) -> bool:
    """window_norm and residual need the target among the inputs (the default)."""
    features, target = data.get("features"), data.get("target")
    if features is None:
        return True
    if not isinstance(features, list) or target is None:
        return False
    return target in features


def _lookback(season: int | None, rows: int) -> tuple[int, str]:
    cap = max(2, min(MAX_LOOKBACK, rows // 3))
    if season is not None:
        wanted, why = 2 * season + 1, f"two seasons of {season} and one step"
    else:
        wanted, why = PLAIN_LOOKBACK, "no strong season"
    if wanted > cap:
        return cap, f"{why} would be {wanted}; capped at {cap}" + (
            f", a third of the {rows} training rows" if cap < MAX_LOOKBACK else "")
    return wanted, why


def _residuals(season: int | None, data: dict[str, Any], preset: Preset,
               rows: int) -> list[str]:
    shortest = _shortest_lookback(data)
    seasonal = season is not None and isinstance(shortest, int) and shortest >= season
    options = ["none", "seasonal_naive" if seasonal else "naive"]
    windows = rows - (shortest if isinstance(shortest, int) else PLAIN_LOOKBACK)
    if windows >= MIN_HYBRID_WINDOWS:
        options += list(preset.hybrids)
    return options


def _shortest_lookback(data: dict[str, Any]) -> Any:
    """The shortest lookback a written value or search allows (as written: the schema checks)."""
    lookback = data.get("lookback")
    if not isinstance(lookback, dict):
        return lookback
    horizon = data.get("horizon", 1)
    for key, scale in (("choice", 1), ("int", 1), ("multiple_of_horizon", horizon)):
        values = lookback.get(key)
        if isinstance(values, list) and values and isinstance(scale, int) and \
                all(isinstance(v, int) for v in values):
            return min(values) * scale
    return None


def _log_reason(profile: SeriesProfile) -> str:
    if not profile.positive:
        return "the series is not positive"
    if profile.spread_slope is None:
        return "positive, but too few seasons or too flat a level to tell its spread's growth"
    grows = "grows" if profile.wants_log else "does not grow"
    return f"positive; its spread {grows} with its level (slope {profile.spread_slope:.2f})"


def _trend_reason(profile: SeriesProfile) -> str:
    from lstm_automl.data.series_profile import KPSS_CRITICAL_5PCT  # defers numpy

    verdict = "trend or unit root: each window's last value is its level" if profile.trending \
        else "level stationary: the level is searched"
    return f"KPSS {profile.kpss:.2f} vs {KPSS_CRITICAL_5PCT} at 5 %, {verdict}"


def _season_reason(profile: SeriesProfile, season: int | None) -> str:
    if season is None:
        return "no season known"
    if profile.seasonal_strength is None:
        return f"season {season}, too few seasons to test its strength"
    strong = "strong" if profile.seasonal else "weak"
    return f"season {season}, {strong}: strength {profile.seasonal_strength:.2f} vs 0.64"


def _text(value: Any) -> str:
    if isinstance(value, dict) and "choice" in value:
        return "searched over " + ", ".join(map(str, value["choice"]))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
