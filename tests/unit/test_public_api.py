"""The public surface is an artefact: exactly these names, sorted, all importable."""

from __future__ import annotations

import mockgw

PUBLIC = {
    "ApiError",
    "ConfigError",
    "GatewaySession",
    "MockGateway",
    "MockgwError",
    "ModelCatalogue",
    "ScenarioLoadError",
    "ServerConfig",
    "__version__",
    "build_app",
    "load_scenarios",
}


def test_all_is_exactly_the_public_names_sorted() -> None:
    assert set(mockgw.__all__) == PUBLIC
    assert mockgw.__all__ == sorted(mockgw.__all__)
    for name in mockgw.__all__:
        assert getattr(mockgw, name) is not None


def test_errors_form_one_hierarchy() -> None:
    assert issubclass(mockgw.ApiError, mockgw.MockgwError)
    assert issubclass(mockgw.ConfigError, mockgw.MockgwError)
    assert issubclass(mockgw.ScenarioLoadError, mockgw.MockgwError)


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert mockgw.__version__ == version("mockgw")
