"""Sweep YAML text → plain Python data, read safely.

The safe loader only; aliases are expanded in a size-checked walk first so an alias bomb is
refused in milliseconds, and duplicate keys are refused rather than silently merged. Files are
size-checked and decoded before parsing; every problem is one ``ConfigError`` line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from lstm_automl.config.overrides import OPTION
from lstm_automl.data.source_file import not_regular
from lstm_automl.errors import ConfigError

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


def first_line(exc: Exception) -> str:
    """An exception's first line, for a one-line message (its class name when it says nothing)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def override_value(raw: str) -> Any:
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


def read_text(path: Path, source: str) -> str:
    """The file's text: refused before parsing when it is no regular file, too large, binary,
    not UTF-8 or empty."""
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


def parse_yaml(text: str, source: str) -> Any:
    """One YAML document as plain data, node-checked (``_check_node``) before it is built."""
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
