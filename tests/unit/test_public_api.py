"""The public surface is an artefact: derived from the package, so nothing leaks.

As httpx does, the expected names are read off the package itself: every name
``dir(mockgw)`` offers is resolved (the exports are lazy, PEP 562), and then
``vars(mockgw)`` must hold exactly ``__all__``. A name imported into the package's
``__init__``, or added to its lazy table, without being added to ``__all__`` fails
here, and so does a name in ``__all__`` that is not really there.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import mockgw

# The public API: removing or renaming one of these needs a changelog line.
PUBLIC = [
    "ApiError",
    "ConfigError",
    "GatewaySession",
    "MockGateway",
    "MockgwError",
    "ModelCatalogue",
    "ScenarioLoadError",
    "ServerConfig",
    "UsageError",
    "__version__",
    "build_app",
    "load_scenarios",
]
# Names mockgw/__init__.py binds that are not exports: `from __future__ import
# annotations`, the typing helpers of its lazy exports, and the submodules Python sets
# as attributes when they are imported.
_NOT_EXPORTS = {"annotations", "TYPE_CHECKING", "Any"}
INIT = Path(mockgw.__file__)


def _bound_names() -> list[str]:
    for name in dir(mockgw):  # resolve every lazy export the package offers
        getattr(mockgw, name)
    return [
        name
        for name, value in vars(mockgw).items()
        if (not name.startswith("_") or name == "__version__")
        and name not in _NOT_EXPORTS
        and not isinstance(value, types.ModuleType)
    ]


def test_all_is_exactly_what_the_package_binds_sorted() -> None:
    # Derived, as httpx does: an import into __init__ that __all__ lacks fails here.
    assert mockgw.__all__ == sorted(_bound_names())


def test_no_public_name_went_missing() -> None:
    assert mockgw.__all__ == PUBLIC


def test_type_checkers_see_every_lazy_export() -> None:
    # The `if TYPE_CHECKING:` imports are all mypy and IDEs see of the lazy names: they
    # must import each export from the module the lazy table loads it from.
    tree = ast.parse(INIT.read_text())
    (guard,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    seen = {
        alias.name: node.module
        for node in guard.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == mockgw._EXPORTS
    assert sorted([*seen, "__version__"]) == mockgw.__all__


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'MockServer'"):
        _ = mockgw.MockServer  # type: ignore[attr-defined]
    assert not hasattr(mockgw, "_no_such_name")


def test_star_import_brings_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from mockgw import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == PUBLIC


def test_every_export_is_defined_by_mockgw() -> None:
    for name in mockgw.__all__:
        value = getattr(mockgw, name)
        if name != "__version__":
            assert value.__module__.startswith("mockgw."), name


def test_every_exception_mockgw_defines_is_a_mockgw_error() -> None:
    exceptions = [
        value
        for info in pkgutil.walk_packages(mockgw.__path__, "mockgw.")
        if not info.name.endswith("__main__")  # importing it would run the CLI
        for value in vars(importlib.import_module(info.name)).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == info.name
    ]
    assert len(exceptions) >= 6
    outside = [e.__qualname__ for e in exceptions if not issubclass(e, mockgw.MockgwError)]
    assert outside == []


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert mockgw.__version__ == version("mockgw")
