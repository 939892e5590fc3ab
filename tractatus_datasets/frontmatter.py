"""Markdown documents with YAML front matter, checked against a JSON Schema with file:line: field errors.

YAML is read with PyYAML's safe loader only (no Python objects can be built from a document).
The composed node tree is kept so that every problem, even one found later by the schema,
points at the line of the field it is about. Dates are given to the schema as ISO strings, the
way JSON would carry them.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "event.md"
>>> _ = path.write_text("---\\nid: one\\ndate: 2025-10-25\\n---\\nBody text.\\n")
>>> doc = read_document(path, "event.md")
>>> doc.data, doc.body, doc.line_of(("date",))
({'id': 'one', 'date': '2025-10-25'}, 'Body text.\\n', 3)
>>> schema = {"type": "object", "required": ["title"], "properties": {"id": {"type": "integer"}}}
>>> for problem in schema_problems(doc, schema): print(problem)
event.md:1: title: a required field is missing
event.md:2: id: 'one' is not of type 'integer'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator, ValidationError

from tractatus_datasets.errors import Problem

__all__ = ["DELIMITER", "Document", "DocumentError", "read_document", "schema_problems"]

DELIMITER = "---"


class DocumentError(Exception):
    """The file is not a front-matter document at all; carries the one problem that says why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True)
class Document:
    """One parsed document: front matter as JSON-like data, the Markdown body, and where fields are."""

    name: str  # as reports show it, usually relative to the source folder
    data: dict[str, Any]
    body: str
    node: yaml.MappingNode
    offset: int  # file line of the first front-matter line, minus one

    def line_of(self, path: Sequence[str | int]) -> int:
        """The file line of the value at `path` (keys and list positions), or of its nearest parent;
        the opening delimiter's line for the front matter as a whole."""
        node: yaml.Node = self.node
        line: int | None = None
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            line, node = child
        return self.offset if line is None else self.offset + line + 1

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        field = ".".join(str(step) for step in path) or None
        return Problem(self.name, self.line_of(path), field, message)


def _child(node: yaml.Node, step: str | int) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if key.value == step:
                return key.start_mark.line, value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item = node.value[step]
        return item.start_mark.line, item
    return None


class _Loader(yaml.SafeLoader):
    """The safe loader, except that dates stay the strings they were written as: the schema checks
    them (PyYAML would turn 2025-10-25 into a date, and fail without a line on 2025-10-32)."""


def _date_as_text(loader: _Loader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(cast(yaml.ScalarNode, node)))  # timestamps are always scalars


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def _split(text: str, name: str) -> tuple[str, str]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != DELIMITER:
        raise DocumentError(
            Problem(name, 1, None, f"must start with a '{DELIMITER}' line opening the front matter")
        )
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == DELIMITER:
            return "\n".join(lines[1:number]) + "\n", "\n".join(lines[number + 1 :])
    raise DocumentError(Problem(name, 1, None, f"the front matter is never closed by a '{DELIMITER}' line"))


def _duplicate_keys(node: yaml.MappingNode, name: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for key, _ in node.value:
        if key.value in seen:  # PyYAML would silently keep the last one
            problems.append(Problem(name, key.start_mark.line + 2, key.value, "appears twice"))
        seen.add(key.value)
    return problems


_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


def _yaml_problem(error: yaml.YAMLError, front: str, name: str) -> Problem:
    """Where the YAML broke, and the field it broke in: the top-level key at or above the start of
    an unclosed quote or bracket (reported where the parser gave up, lines later), else at or above
    the line that broke (the enclosing block, the whole front matter, says nothing)."""
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    inside_block = "block" in (getattr(error, "context", None) or "")
    start = context_mark if context_mark is not None and not inside_block else problem_mark
    field = None
    if start is not None:
        for text in reversed(front.splitlines()[: start.line + 1]):
            if match := _TOP_LEVEL_KEY.match(text):
                field = match.group(1)
                break
    line = problem_mark.line + 2 if problem_mark is not None else None
    reason = getattr(error, "problem", None) or str(error)
    return Problem(name, line, field, f"invalid YAML: {reason}")


def read_document(path: Path, name: str) -> Document:
    """Parse one file; raise DocumentError when it has no readable front matter."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(Problem(name, None, None, f"not UTF-8 text ({error.reason})")) from None
    front, body = _split(text, name)
    try:
        node = yaml.compose(front, Loader=_Loader)
        data = yaml.load(front, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise DocumentError(_yaml_problem(error, front, name)) from None
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise DocumentError(Problem(name, 2, None, "the front matter must be a mapping of field: value"))
    duplicates = _duplicate_keys(node, name)
    if duplicates:
        raise DocumentError(duplicates[0])
    return Document(name=name, data=data, body=body, node=node, offset=1)


def _messages(error: ValidationError) -> list[tuple[list[str | int], str]]:
    path: list[str | int] = list(error.absolute_path)
    instance: Any = error.instance  # jsonschema types these loosely; here they are JSON values
    schema: Any = error.schema
    if error.validator == "required":
        required: Any = error.validator_value
        missing = [name for name in required if name not in instance]
        return [([*path, name], "a required field is missing") for name in missing]
    if error.validator == "additionalProperties":
        known = schema.get("properties", {})
        unexpected = [name for name in instance if name not in known]
        choices = ", ".join(known)
        return [([*path, name], f"is not a known field; the fields are {choices}") for name in unexpected]
    if error.validator == "format" and error.validator_value == "date":
        return [(path, f"{error.instance!r} is not a date written YYYY-MM-DD")]
    return [(path, error.message)]


def schema_problems(doc: Document, schema: dict[str, Any]) -> list[Problem]:
    """Every way the front matter breaks `schema`, in file order, each at its field's line."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = []
    for error in validator.iter_errors(doc.data):
        problems += [doc.problem(path, message) for path, message in _messages(error)]
    return sorted(problems, key=lambda p: (p.line or 0, p.field or ""))
