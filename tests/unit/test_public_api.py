"""The public surface is an artefact: derived from the package, so nothing leaks.

As httpx does, the expected names are read off ``vars(mockgw)``: a name imported into
the package's ``__init__`` without being added to ``__all__`` fails here, and so does
a name in ``__all__`` that is not really there.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

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
# annotations` and the submodules Python sets as attributes when they are imported.
_NOT_EXPORTS = {"annotations"}


def _bound_names() -> list[str]:
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
