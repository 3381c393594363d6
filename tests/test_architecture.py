"""The layout's rules, checked by parsing the source (docs/architecture.md says why they exist).

* the world, the markets, the agents and the configuration never import the tooling or the command line;
* the tooling never imports the command line;
* nothing imports the folders by their directory names (``model``, ``agents``): the one import name is
  ``hashpivot``;
* ``HashpivotModel`` composes services and stays short, and no module grows past a size a reader can hold.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = ("agents", "model/world", "model/markets", "model/config", "model/simulation.py")
MAX_MODULE_LINES = 800
MAX_MODEL_CLASS_LINES = 300


def _sources(*roots: str) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        path = REPO / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def _imports(path: Path) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names, at any depth of the file."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_the_core_never_imports_the_tools_or_the_command_line():
    assert _offenders(_sources(*CORE), ("hashpivot.model.tools", "hashpivot.model.cli")) == []


def test_the_tools_never_import_the_command_line():
    assert _offenders(_sources("model/tools"), ("hashpivot.model.cli",)) == []


def test_nothing_imports_the_folders_by_their_directory_names():
    files = _sources("agents", "model", "tests", "benchmarks", "__init__.py", "__main__.py")
    assert _offenders(files, ("model", "agents")) == []


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {
        str(p.relative_to(REPO)): n
        for p in _sources("agents", "model")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_model_class_composes_and_stays_short():
    tree = ast.parse((REPO / "model" / "simulation.py").read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "HashpivotModel"]
    assert cls.end_lineno - cls.lineno + 1 <= MAX_MODEL_CLASS_LINES


def test_every_package_folder_is_installed():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    dirs = {v: k for k, v in config["package-dir"].items() if v != "."}
    found = set()
    for init in sorted((REPO / "agents").rglob("__init__.py")) + sorted((REPO / "model").rglob("__init__.py")):
        rel = init.parent.relative_to(REPO).parts
        found.add(".".join([dirs[rel[0]], *rel[1:]]))
    assert found | {"hashpivot"} == set(config["packages"])


@pytest.mark.parametrize("name", ["HashpivotModel", "Scenario", "load_scenario", "simulate", "RunResult"])
def test_the_documented_api_is_importable_from_the_package(name):
    import hashpivot

    assert getattr(hashpivot, name) is not None
