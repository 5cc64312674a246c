"""The package layout keeps its promises, checked on the source itself.

Data flows one way: the HTTP edge (``web/``) drives the wire formats (``protocols/``),
which speak in provider-neutral values (``core/``); the scenario engine
(``scenarios/``) decides on those values alone, and ``state/`` owns what a server
remembers. Only one module outside ``protocols/`` names a specific codec, and no code
outside it branches on a provider's name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import mockgw

PACKAGE = Path(mockgw.__file__).parent
REGISTRATION = "web/codecs.py"
PROVIDERS = ("openai", "anthropic")
# Which of mockgw's packages each package may import (besides itself and errors.py).
ALLOWED = {
    "core": set(),
    "protocols": {"core"},
    "scenarios": {"core"},
    "state": {"core", "scenarios", "protocols", "config"},
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text())


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_only_the_registration_point_imports_a_codec() -> None:
    importers = {
        module
        for module, tree in _modules()
        if not module.startswith("protocols/")
        for name in _imports(tree)
        if name.startswith(tuple(f"mockgw.protocols.{p}" for p in PROVIDERS))
    }
    assert importers == {REGISTRATION}


def test_no_code_outside_the_codecs_names_a_provider() -> None:
    named = [
        f"{module}:{node.lineno}"
        for module, tree in _modules()
        if not module.startswith("protocols/") and module != REGISTRATION
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.lower() in (*PROVIDERS, "claude")
    ]
    assert named == []


def test_packages_import_only_downstream() -> None:
    crossings = []
    for module, tree in _modules():
        package = module.split("/")[0]
        if package not in ALLOWED:
            continue
        for name in _imports(tree):
            if name.startswith("aiohttp"):
                crossings.append(f"{module} imports {name}: only the edge speaks HTTP")
            parts = name.split(".")
            if parts[0] != "mockgw" or len(parts) < 2 or parts[1] in (package, "errors"):
                continue
            if parts[1] not in ALLOWED[package]:
                crossings.append(f"{module} imports {name}")
    assert crossings == []
