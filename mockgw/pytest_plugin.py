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
# The folder used when neither the option nor the ini value names one, if it exists.
DEFAULT_SCENARIOS = "scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockgw", "mockgw LLM gateway emulator")
    group.addoption(
        "--mockgw-scenarios",
        default=None,
        metavar="DIR",
        help="directory of mockgw scenario files (overrides the mockgw_scenarios ini value; "
        "default: <rootdir>/scenarios if it exists)",
    )
    parser.addini(
        "mockgw_scenarios",
        "directory of mockgw scenario files, relative to the rootdir "
        "(default: scenarios, if that folder exists)",
        default="",
    )
    parser.addini(
        "mockgw_journal_size", "journal entries kept per mockgw session (0 or more)", default="1000"
    )
    parser.addini(
        "mockgw_journal_bytes",
        "bytes the whole mockgw journal may hold, e.g. 64MiB (default 256MiB)",
        default="256MiB",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    _journal_size(config)  # a bad value stops the run before collection, not in a fixture
    _journal_bytes(config)


def _journal_size(config: pytest.Config) -> int:
    value = str(config.getini("mockgw_journal_size")).strip()
    try:
        size = int(value)
    except ValueError:
        size = -1
    if size < 0:
        raise pytest.UsageError(
            f"mockgw_journal_size: {value!r} is not a valid value; "
            "valid values are whole numbers, 0 or more (0 keeps no journal entries)"
        )
    return size


def _journal_bytes(config: pytest.Config) -> int:
    from mockgw.sizes import parse_size  # loading the plugin imports no more of mockgw

    try:
        return parse_size(str(config.getini("mockgw_journal_bytes")))
    except ValueError as exc:
        raise pytest.UsageError(f"mockgw_journal_bytes: {exc}") from None


def _scenarios_dir(config: pytest.Config) -> Path | None:
    """``--mockgw-scenarios`` > ``mockgw_scenarios`` ini > ``<rootdir>/scenarios`` > none.

    Absolute, so a test that changes directory cannot move the folder under a server
    that starts after it.
    """
    option = config.getoption("--mockgw-scenarios")
    if option:
        return Path(config.invocation_params.dir, option)
    ini = str(config.getini("mockgw_scenarios") or "")
    if ini:
        return Path(config.rootpath, ini)
    default = Path(config.rootpath, DEFAULT_SCENARIOS)
    return default if default.is_dir() else None


def pytest_report_header(config: pytest.Config) -> str:
    folder = _scenarios_dir(config)
    journal = _journal_size(config)
    # The shipped library is always there too, under the folder's own scenarios.
    return (
        f"mockgw: {__version__}, scenarios: {folder or 'none'} + the shipped library, "
        f"journal size: {journal}"
    )


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

    journal_size = _journal_size(pytestconfig)
    journal_bytes = _journal_bytes(pytestconfig)
    with MockGateway(
        scenarios_dir=mockgw_scenarios_dir, journal_size=journal_size, journal_bytes=journal_bytes
    ) as gateway:
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
