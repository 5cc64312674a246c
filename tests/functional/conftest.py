from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import anthropic
import openai
import pytest

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.functional.serve_support import Server


@pytest.fixture
def oai(server: BackgroundServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def aoai(server: BackgroundServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=server.url + "/v1", api_key=API_KEY, max_retries=0
    ) as client:
        yield client


@pytest.fixture
def ant(server: BackgroundServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.url, api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def aant(server: BackgroundServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        base_url=server.url, api_key=API_KEY, max_retries=0
    ) as client:
        yield client


@pytest.fixture
def start_server() -> Iterator[Callable[[list[str]], Server]]:
    started: list[Server] = []

    def start(args: list[str]) -> Server:
        server = Server(args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
