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
REGISTRATION = "codecs.py"
PROVIDERS = ("openai", "anthropic")
# Which of mockgw's packages each package may import (besides itself and errors.py).
ALLOWED = {
    "core": set(),
    "protocols": {"core"},
    "scenarios": {"core"},
    "codecs": {"protocols"},
    "config": {"core", "protocols", "codecs"},
    "state": {"core", "scenarios", "protocols", "config", "codecs"},
}
# Words that name a provider, in any string a test or comparison looks at.
PROVIDER_WORDS = (*PROVIDERS, "claude")


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


def _decisions(tree: ast.Module) -> Iterator[ast.AST]:
    """Expressions code branches on: comparisons, membership, ``startswith`` and kin."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith", "get", "getall")
        ):
            yield node
        elif isinstance(node, ast.match_case):
            yield node.pattern


def test_no_code_outside_the_codecs_branches_on_a_provider() -> None:
    # `"anthropic-version" in headers`, `model.startswith("claude")`, `api == "openai"`:
    # what the old app, catalogue and engine did. The model catalogue's ids are data.
    named = [
        f"{module}:{getattr(constant, 'lineno', '?')} {constant.value!r}"
        for module, tree in _modules()
        if not module.startswith("protocols/") and module != REGISTRATION
        for decision in _decisions(tree)
        for constant in ast.walk(decision)
        if isinstance(constant, ast.Constant)
        and isinstance(constant.value, str)
        and any(word in constant.value.lower() for word in PROVIDER_WORDS)
    ]
    assert named == []


def test_the_branch_check_catches_what_the_old_code_did() -> None:
    old = ast.parse(
        'if "anthropic-version" in request.headers or path.startswith("/v1/messages"):\n'
        "    pass\n"
        'owner = "anthropic" if model_id.startswith("claude") else "openai"\n'
        'if request.api == "openai":\n'
        "    pass\n"
    )
    found = {
        c.value
        for decision in _decisions(old)
        for c in ast.walk(decision)
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    }
    assert {"anthropic-version", "claude", "openai"} <= found


def test_packages_import_only_downstream() -> None:
    crossings = []
    for module, tree in _modules():
        package = module.split("/")[0].removesuffix(".py")
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
