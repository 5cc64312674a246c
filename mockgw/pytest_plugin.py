"""The mockgw pytest plugin: fixtures, a marker and options only.

Every behaviour lives in :mod:`mockgw.gateway`; this module wires it into pytest.
One server per test session (per xdist worker), one isolated session per test:

    def test_agent(mockgw):
        client = mockgw.openai_client()
        ...
        mockgw.assert_called(rule="ask-tool", times=1)

    @pytest.mark.mockgw(scenario="weather", strict=False)
    def test_weather(mockgw): ...

pytest imports this module in every run wherever mockgw is installed, so it imports
only pytest and the standard library: the gateway (and with it aiohttp, pydantic and
the server) is imported by the fixtures, in the runs that use them.
``tests/plugin/test_plugin_import.py`` keeps it that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockgw._version import __version__

if TYPE_CHECKING:
    from mockgw.gateway import GatewaySession, MockGateway

MARKER = (
    "mockgw(scenario=None, strict=True, rules=None, name=None, env=False): configure the "
    "mockgw fixture for this test; the keywords are MockGateway.session's own (env=True "
    "points OPENAI_*/ANTHROPIC_* environment variables at the mock)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockgw", "mockgw LLM gateway emulator")
    group.addoption(
        "--mockgw-scenarios",
        default=None,
        metavar="DIR",
        help="directory of mockgw scenario files (overrides the mockgw_scenarios ini value)",
    )
    parser.addini("mockgw_scenarios", "directory of mockgw scenario files", default="")
    parser.addini("mockgw_journal_size", "journal entries kept per session", default="1000")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def _scenarios_dir(config: pytest.Config) -> Path | None:
    option = config.getoption("--mockgw-scenarios")
    if option:
        return Path(option)
    ini = str(config.getini("mockgw_scenarios") or "")
    return Path(config.rootpath, ini) if ini else None


def pytest_report_header(config: pytest.Config) -> str:
    folder = _scenarios_dir(config)
    journal = config.getini("mockgw_journal_size")
    return f"mockgw: {__version__}, scenarios: {folder or 'none'}, journal size: {journal}"


@pytest.fixture(scope="session")
def mockgw_scenarios_dir(pytestconfig: pytest.Config) -> Path | None:
    """Where scenario files come from; override this fixture to choose in code."""
    return _scenarios_dir(pytestconfig)


@pytest.fixture(scope="session")
def mockgw_server(
    pytestconfig: pytest.Config, mockgw_scenarios_dir: Path | None
) -> Iterator[MockGateway]:
    """The test session's gateway (one per xdist worker), started on first use."""
    from mockgw.gateway import MockGateway

    journal_size = int(pytestconfig.getini("mockgw_journal_size"))
    with MockGateway(scenarios_dir=mockgw_scenarios_dir, journal_size=journal_size) as gateway:
        yield gateway


@pytest.fixture
def mockgw(request: pytest.FixtureRequest, mockgw_server: MockGateway) -> Iterator[GatewaySession]:
    """An isolated session on the shared gateway: its own state and journal view.

    Strict by default: a request that matched no rule fails the test at teardown,
    with the near-miss report; ``@pytest.mark.mockgw(strict=False)`` opts out.
    """
    marker = request.node.get_closest_marker("mockgw")
    with mockgw_server.session(**(marker.kwargs if marker else {})) as session:
        yield session
        try:
            session.check()
        except AssertionError as failure:
            pytest.fail(str(failure), pytrace=False)
