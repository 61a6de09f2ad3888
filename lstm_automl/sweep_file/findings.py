"""The shape of one meaning rule of the sweep file and of what it finds (``rules.RULES``).

Light: no imports beyond the standard library, so ``validate`` and the docs tool read it freely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_automl.config.schema import SweepConfig


@dataclass(frozen=True)
class Findings:
    """What one rule found: problems stop the sweep (exit 2), notes are printed and it runs."""

    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, problems: Iterable[str | None] = (), notes: Iterable[str | None] = ()
           ) -> Findings:
        """Findings from any iterables of lines; a None (a check that found nothing) is dropped."""
        return cls(tuple(p for p in problems if p), tuple(n for n in notes if n))


@dataclass(frozen=True)
class Rule:
    """One check that needs the whole validated file (not one value alone: the schema and the
    spec types check those where they are born).

    Attributes:
        name: a short identifier, unique in the table (``objective``, ``grid_discrete``).
        keys: the dotted sweep-file keys the rule reads (``tuner.objective``, ``search.loss``);
            tests check that each names a field of the schema.
        check: the validated ``SweepConfig`` -> its findings.
        mirror: the function of ``sweep_file/json_schema.py`` that says the same to an editor,
            where JSON Schema can say it; None where it cannot (two values compared, a count).
        doc: one line for the generated reference: what the rule checks and why.
    """

    name: str
    keys: tuple[str, ...]
    check: Callable[[SweepConfig], Findings]
    mirror: str | None
    doc: str
