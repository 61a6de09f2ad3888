"""Widths tied to another width: ``dense_units: {same_as: units}``.

A tied width is derived, never sampled (like the widths of ``{first, ratio}``): it takes the
width of the last layer of the value it names (the last recurrent layer for ``units``, the last
hidden dense layer for ``dense_units``, the filters for ``conv_filters``), the same for each of
its own layers. It declares no hyperparameter, so it adds nothing to the space's size and its
trials are told apart by the value it follows.

Light: no schema import (a spec is recognised by its ``same_as`` attribute), no framework.
"""

from __future__ import annotations

from typing import Any

from lstm_automl.config.params import PER_LAYER_PARENTS, SEARCH_PARAMS, rule_holds


def tie_source(spec: Any) -> str | None:
    """The value ``spec`` is tied to (``{same_as: units}`` -> ``units``), or None."""
    source = getattr(spec, "same_as", None)
    return source if isinstance(source, str) else None


def tied(specs: dict[str, Any]) -> dict[str, str]:
    """Every tied width of ``specs`` and the value it follows."""
    return {name: source for name, spec in specs.items()
            if (source := tie_source(spec)) is not None}


def tie_cycle(specs: dict[str, Any]) -> list[str] | None:
    """The first cycle of ties (``[units, dense_units, units]``), or None when there is none."""
    ties = tied(specs)
    for start in ties:
        path = [start]
        while path[-1] in ties:
            following = ties[path[-1]]
            if following in path:
                return [*path[path.index(following):], following]
            path.append(following)
    return None


def tie_order(specs: dict[str, Any]) -> list[str]:
    """The tied widths, each after the one it follows; ValueError on a cycle."""
    cycle = tie_cycle(specs)
    if cycle is not None:
        raise ValueError(f"widths tied in a cycle: {' -> '.join(cycle)}")
    ties, order = tied(specs), []

    def visit(name: str) -> None:
        if name in ties and name not in order:
            visit(ties[name])
            order.append(name)

    for name in ties:
        visit(name)
    return order


def _switches(name: str) -> tuple[str, str] | None:
    """(parent, rule) that switches a width on: its layers' count or its ``active_when``."""
    domain = SEARCH_PARAMS[name]
    if domain.active_when is not None:
        return domain.active_when
    if domain.per_layer == "dense":
        return PER_LAYER_PARENTS["dense"], ">0"
    return None


def tie_problems(specs: dict[str, Any], parent_values: dict[str, list[Any]]) -> list[str]:
    """Why the ties of ``specs`` cannot be built: a cycle, or a tie to a width that is missing
    from trials where the tied one exists (``units: {same_as: dense_units}`` while
    ``dense_layers`` can be 0). ``parent_values``: the values each structural param can take."""
    cycle = tie_cycle(specs)
    if cycle is not None:
        return [f"search.{cycle[0]}.same_as: the widths are tied in a cycle "
                f"({' -> '.join(cycle)}); tie them to a width that is searched or fixed"]
    problems = []
    for name, source in tied(specs).items():
        off = _switches(source)
        if off is None:
            continue
        parent, rule = off
        absent = [v for v in parent_values.get(parent, []) if not rule_holds(rule, v)]
        own = _switches(name)
        if own is not None and own[0] == parent:  # both follow the same parent
            absent = [v for v in absent if rule_holds(own[1], v)]
        if absent:
            value = str(absent[0]).lower() if isinstance(absent[0], bool) else absent[0]
            problems.append(f"search.{name}.same_as: {source} does not exist in trials with "
                            f"{parent} {value} (search.{parent} allows it); tie it to a width "
                            f"every trial has")
    return problems


def resolve_ties(values: dict[str, Any], specs: dict[str, Any]) -> None:
    """Give each tied width of a trial's ``values`` the width it follows (its last layer's),
    in place; None where the tied width itself does not exist in this trial."""
    for name in tie_order(specs):
        off = _switches(name)
        if off is not None and not rule_holds(off[1], values.get(off[0])):
            values[name] = None
            continue
        width = values.get(tie_source(specs[name]) or "")
        if isinstance(width, list):
            width = width[-1] if width else None
        if width is None:
            raise ValueError(f"{name} is tied to {specs[name].same_as}, which this trial "
                             f"does not have")
        values[name] = int(width)
