"""A Space folder as the Hub runs it: its card checked, its files with the shared code it imports, and
the dataset revisions it shows pinned through the Space's variables.

The shared code is found, not listed: every module of this project's packages that the folder's
Python files import, and what those import in turn, with the `__init__.py` of each package on the
way. A Space that imports `tractatus_simulator.simulation` thus carries `tractatus_simulator/` and
the two standard-library-only modules of `tractatus_audit_corpus` it reads its vocabulary from.

>>> sorted(COLOURS)[:3]
['blue', 'gray', 'green']
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import SpaceCard

from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.frontmatter import DocumentError, read_document, schema_problems
from tractatus_datasets.hub import RepoCommit
from tractatus_spaces.release import VARIABLES

__all__ = ["COLOURS", "SHARED_PACKAGES", "SPACE_CARD_SCHEMA", "SpaceFolder", "read_space", "shared_files"]

SHARED_PACKAGES = (
    "tractatus_spaces",
    "tractatus_simulator",
    "tractatus_audit_corpus",
    "tractatus_evolution_log",
    "tractatus_datasets",
)
COLOURS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
_REPO_ID = r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$"

# The Space configuration the Hub reads from the README's header (hf.co/docs/hub/spaces-config-reference).
SPACE_CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "emoji", "colorFrom", "colorTo", "sdk"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "emoji": {"type": "string", "minLength": 1},
        "colorFrom": {"enum": list(COLOURS)},
        "colorTo": {"enum": list(COLOURS)},
        "sdk": {"enum": ["gradio", "streamlit", "docker", "static"]},
        "sdk_version": {"type": "string", "pattern": r"^\d+(\.\d+)*$"},
        "python_version": {"type": "string"},
        "app_file": {"type": "string", "minLength": 1},
        "app_port": {"type": "integer"},
        "pinned": {"type": "boolean"},
        "license": {"type": "string"},
        "short_description": {"type": "string", "maxLength": 60},
        "datasets": {"type": "array", "items": {"type": "string", "pattern": _REPO_ID}},
        "models": {"type": "array", "items": {"type": "string", "pattern": _REPO_ID}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    # A Python SDK runs app_file with the SDK at sdk_version: without them the Space does not build.
    "if": {"properties": {"sdk": {"enum": ["gradio", "streamlit"]}}, "required": ["sdk"]},
    "then": {"required": ["sdk_version", "app_file"]},
}


def _is_shipped(path: Path) -> bool:
    return (
        not any(part.startswith(".") or part == "__pycache__" for part in path.parts)
        and path.suffix != ".pyc"
    )


def _module_file(root: Path, dotted: str) -> Path | None:
    """The source of a module of the package at `root` (`a.b.c` → `root/b/c.py`), None if not one."""
    path = root.joinpath(*dotted.split(".")[1:])
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imported(source: Path, module: str) -> set[str]:
    """Every dotted name a module imports, `from a import b` giving both `a` and `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = module.split(".")
            base_parts = package[: len(package) - node.level] if node.level else []
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _package_root(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def shared_files(entry_points: list[Path]) -> list[tuple[str, Path]]:
    """(path in the Space, file) of every module of `SHARED_PACKAGES` the entry points need."""
    roots = {name: root for name in SHARED_PACKAGES if (root := _package_root(name)) is not None}
    found: dict[str, Path] = {}
    pending = [(path, "__main__") for path in entry_points]
    while pending:
        source, module = pending.pop()
        for dotted in sorted(_imported(source, module)):
            top = dotted.split(".")[0]
            if top not in roots:
                continue
            parts = dotted.split(".")
            for depth in range(1, len(parts) + 1):  # each package on the way, then the module
                name = ".".join(parts[:depth])
                path = _module_file(roots[top], name)
                if path is None or name in found:
                    continue
                found[name] = path
                pending.append((path, name if path.name != "__init__.py" else name + ".__init__"))
    return sorted(
        (f"{name.split('.')[0]}/{path.relative_to(roots[name.split('.')[0]]).as_posix()}", path)
        for name, path in found.items()
    )


@dataclass(frozen=True)
class SpaceFolder:
    folder: Path
    card: dict[str, Any]  # the README's header
    own: tuple[tuple[str, Path], ...]  # the folder's files
    shared: tuple[tuple[str, Path], ...]  # the shared code its Python files import

    @property
    def datasets(self) -> list[str]:
        return list(self.card.get("datasets", []))

    def commit(self, repo_id: str, pins: dict[str, str], date: dt.date) -> RepoCommit:
        """The Space's one commit into `repo_id`, showing the datasets of its org at the pinned tags
        (`pins` maps a dataset's name, e.g. audit-decisions, to a tag)."""
        org = repo_id.split("/")[0]
        variables: list[tuple[str, str]] = []
        shown = []
        for dataset in self.datasets:
            name = dataset.split("/")[1]
            if name not in VARIABLES:
                raise UsageError(f"{self.folder}/README.md names {dataset}, which no Space variable can pin")
            if name not in pins:
                raise UsageError(
                    f"no revision of {org}/{name} to pin for {repo_id}: publish the dataset first"
                )
            repo_variable, revision_variable = VARIABLES[name]
            variables += [(repo_variable, f"{org}/{name}"), (revision_variable, pins[name])]
            shown.append(f"{name} {pins[name]}")
        files: dict[str, Path | bytes] = dict(self.shared)
        files.update(self.own)
        readme = self.folder / "README.md"
        if any(dataset.split("/")[0] != org for dataset in self.datasets):  # the header names our org
            card = SpaceCard.load(readme)
            card.data.datasets = [f"{org}/{dataset.split('/')[1]}" for dataset in self.datasets]
            files["README.md"] = str(card).encode("utf-8")
        message = f"Deploy {self.folder.name}" + (f" showing {', '.join(shown)}" if shown else "")
        return RepoCommit(
            repo_id,
            "space",
            tuple(sorted(files.items())),
            message,
            date,
            space_sdk=str(self.card["sdk"]),
            variables=tuple(variables),
        )


def read_space(folder: Path) -> SpaceFolder:
    """The Space at `folder`; ProblemsFound (every problem, file:line: field) if its card is not valid."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder: give a Space folder such as spaces/boundary-simulator")
    readme = folder / "README.md"
    if not readme.is_file():
        raise ProblemsFound(
            [Problem(str(readme), None, None, "missing: a Space is configured by its README's header")],
            f"{folder} is not a Space",
        )
    try:
        document = read_document(readme, str(readme))
    except DocumentError as error:
        raise ProblemsFound([error.problem], f"{folder} is not a valid Space") from None
    problems = schema_problems(document, SPACE_CARD_SCHEMA)
    app_file = document.data.get("app_file")
    if isinstance(app_file, str) and not (folder / app_file).is_file():
        problems.append(document.problem(("app_file",), f"{app_file} is not a file of {folder}"))
    if problems:
        raise ProblemsFound(
            problems, f"{len(problems)} problem(s): {folder} is not a valid Space; nothing was published"
        )
    own = [
        (p.relative_to(folder).as_posix(), p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and _is_shipped(p.relative_to(folder))
    ]
    python = [path for _, path in own if path.suffix == ".py"]
    return SpaceFolder(folder, document.data, tuple(own), tuple(shared_files(python)))
