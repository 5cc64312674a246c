"""Shared fixtures: one real mockgw server per test session, on 127.0.0.1 port 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.scenarios.library import LIBRARY_DIR

API_KEY = "sk-test-mockgw-0000"
SHIPPED_SCENARIOS = LIBRARY_DIR


@pytest.fixture(scope="session")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, api_keys=frozenset({API_KEY}))) as running:
        yield running


@pytest.fixture(scope="session")
def strict_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, strict=True)) as running:
        yield running


@pytest.fixture(scope="session")
def open_server() -> Iterator[BackgroundServer]:
    """As ``make run`` serves: any key, unknown fields warned about, shipped scenarios."""
    with BackgroundServer(ServerConfig(port=0)) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: xdist hands tests out in this order, so a 27 s test collected late
    would run alone at the end while the other worker sits idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
