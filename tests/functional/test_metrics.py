"""``GET /__mockgw/metrics``: Prometheus text that parses and moves as requests are made.

Each test scrapes before and after its requests and asserts the exact deltas, so a
counter that moved for the wrong labels (or did not move) fails here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mockgw import MockGateway
from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.core.failures import NoMatch
from mockgw.core.plan import ErrorAnswer, Plan
from mockgw.state.metrics import MAX_SERIES, OTHER, Metrics
from tests.functional.scenario_support import ANTHROPIC_MODEL, OPENAI_MODEL, write_scenarios

SHOP = """\
scenario: shop
rules:
  - name: greet
    when: {last_user: {contains: hello}}
    reply: {text: "hi there"}
  - name: slow
    when: {last_user: {contains: slow}}
    reply: {text: "one two three four", stream: {ttft: 1s, every: 10ms}}
"""
LIMITED = """\
scenario: limited
limits: {rpm: 1}
rules:
  - name: any
    reply: {text: "ok"}
"""
KEY = "sk-metrics-tests"
TOKEN = "metrics-admin-token"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and labels; raises if the text does not parse."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def delta(before: Samples, after: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The samples called ``name`` that changed, by how much."""
    return {
        labels: value - before.get((sample, labels), 0.0)
        for (sample, labels), value in after.items()
        if sample == name and value != before.get((sample, labels), 0.0)
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def request_labels(api: str, status: int, scenario: str, rule: str, fault: str = "") -> Any:
    return labels(api=api, status=str(status), scenario=scenario, rule=rule, fault=fault)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenarios(tmp_path_factory.mktemp("metrics"), {"shop": SHOP, "limited": LIMITED})


@pytest.fixture
def server(scenarios: Path) -> Iterator[BackgroundServer]:
    # One per test: deltas must not see another test's requests.
    config = ServerConfig(port=0, scenarios_dir=scenarios, api_keys=frozenset({KEY}))
    with BackgroundServer(config) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Client:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def scrape(self, headers: dict[str, str] | None = None) -> Samples:
        async with self.http.get(f"{self.base}/__mockgw/metrics", headers=headers) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return parse(await response.text())

    async def openai(self, text: str, *, scenario: str = "shop", stream: bool = False) -> int:
        body = {
            "model": OPENAI_MODEL,
            "messages": [{"role": "user", "content": text}],
            "stream": stream,
        }
        async with self.http.post(
            f"{self.base}/s/{scenario}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        ) as response:
            await response.read()
            return response.status

    async def anthropic(self, text: str, *, scenario: str = "shop", stream: bool = False) -> int:
        body = {
            "model": ANTHROPIC_MODEL,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": text}],
            "stream": stream,
        }
        async with self.http.post(
            f"{self.base}/s/{scenario}/v1/messages",
            json=body,
            headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        ) as response:
            await response.read()
            return response.status


async def test_metrics_parse_and_move_with_requests(
    server: BackgroundServer, http: aiohttp.ClientSession
) -> None:
    client = Client(http, server.url)
    before = await client.scrape()
    assert before[("mockgw_active_streams", labels(api="openai"))] == 0

    assert await client.openai("hello") == 200
    assert await client.anthropic("hello") == 200
    assert await client.anthropic("hello", stream=True) == 200
    assert await client.openai("first", scenario="limited") == 200
    assert await client.openai("second", scenario="limited") == 429
    assert await client.openai("no rule says this") == 404
    assert await client.anthropic("hello", scenario="no-such-scenario") == 404
    async with http.post(f"{server.url}/v1/nowhere", json={}) as response:
        assert response.status == 404  # no route: counted, without scenario or rule

    after = await client.scrape()
    assert delta(before, after, "mockgw_requests_total") == {
        request_labels("openai", 200, "shop", "greet"): 1,
        request_labels("anthropic", 200, "shop", "greet"): 2,  # plain and streamed
        request_labels("openai", 200, "limited", "any"): 1,
        request_labels("openai", 429, "limited", "<limits>"): 1,
        request_labels("openai", 404, "shop", "<unmatched>"): 1,
        # The name came from the URL: not a label, or any client could add series.
        request_labels("anthropic", 404, "<unknown>", "<unknown>"): 1,
        request_labels("openai", 404, "", ""): 1,
    }
    assert delta(before, after, "mockgw_rate_limit_refusals_total") == {
        labels(api="openai", scenario="limited"): 1
    }
    counts = delta(before, after, "mockgw_request_duration_seconds_count")
    assert counts == {labels(api="openai"): 5, labels(api="anthropic"): 3}
    # Every answer is counted in some bucket, and the slowest in +Inf.
    inf = delta(before, after, "mockgw_request_duration_seconds_bucket")
    assert inf[labels(api="openai", le="+Inf")] == 5
    assert after[("mockgw_active_streams", labels(api="anthropic"))] == 0


async def test_active_streams_count_a_stream_while_it_runs(
    server: BackgroundServer, http: aiohttp.ClientSession
) -> None:
    client = Client(http, server.url)
    gauge = ("mockgw_active_streams", labels(api="openai"))
    # The slow rule's first event comes 1 s after its headers: scraped in between.
    body = {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "slow"}]}
    async with http.post(
        f"{server.url}/s/shop/v1/chat/completions",
        json={**body, "stream": True},
        headers={"Authorization": f"Bearer {KEY}"},
    ) as response:
        assert response.status == 200  # the headers are here; the events are not yet
        assert (await client.scrape())[gauge] == 1
        await response.read()
    assert (await client.scrape())[gauge] == 0


async def test_a_client_gone_mid_stream_is_no_longer_active(
    server: BackgroundServer, http: aiohttp.ClientSession
) -> None:
    client = Client(http, server.url)
    gauge = ("mockgw_active_streams", labels(api="openai"))
    body = {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "slow"}]}
    response = await http.post(
        f"{server.url}/s/shop/v1/chat/completions",
        json={**body, "stream": True},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert (await client.scrape())[gauge] == 1
    response.close()  # drops the connection before the first event
    # The server notices at its next write (the first event, 1 s after the headers).
    for _ in range(200):  # up to 10 s on a loaded machine
        if (await client.scrape())[gauge] == 0:
            break
        await asyncio.sleep(0.05)
    assert (await client.scrape())[gauge] == 0


async def test_metrics_need_the_admin_token_when_one_is_set(
    scenarios: Path, http: aiohttp.ClientSession
) -> None:
    config = ServerConfig(port=0, scenarios_dir=scenarios, admin_token=TOKEN)
    with BackgroundServer(config) as server:
        async with http.get(f"{server.url}/__mockgw/metrics") as response:
            assert response.status == 401
            assert "admin token" in (await response.json())["error"]["message"]
        bad = {"Authorization": "Bearer not-the-token"}
        async with http.get(f"{server.url}/__mockgw/metrics", headers=bad) as response:
            assert response.status == 401
        samples = await Client(http, server.url).scrape({"Authorization": f"Bearer {TOKEN}"})
        assert ("mockgw_active_streams", labels(api="anthropic")) in samples


async def test_no_bare_metrics_path(server: BackgroundServer, http: aiohttp.ClientSession) -> None:
    # A mock must not answer a path the real APIs do not: /metrics is the API's 404.
    async with http.get(f"{server.url}/metrics") as response:
        assert response.status == 404
        assert "error" in await response.json()


def test_two_gateways_in_one_process_count_apart() -> None:
    with MockGateway() as first, MockGateway() as second:
        with first.session("counted") as session, session.openai_client() as oai:
            oai.chat.completions.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": "hi"}]
            )
        ours = parse(first.runtime.metrics.render().decode())
        theirs = parse(second.runtime.metrics.render().decode())
    default = request_labels("openai", 200, "", "")  # the generated default reply
    assert {k: v for k, v in ours.items() if k[0] == "mockgw_requests_total"} == {
        ("mockgw_requests_total", default): 1
    }
    assert not [k for k in theirs if k[0] == "mockgw_requests_total"]


def test_a_sessions_own_scenario_is_not_labelled_with_its_id() -> None:
    with MockGateway() as gateway:
        for name in ("job-a", "job-b"):
            with gateway.session(name) as session, session.openai_client() as oai:
                session.add_rules([{"name": "inline", "reply": {"text": "mine"}}])
                oai.chat.completions.create(
                    model=OPENAI_MODEL, messages=[{"role": "user", "content": "hi"}]
                )
        text = gateway.runtime.metrics.render().decode()
    assert "job-a" not in text
    assert "job-b" not in text
    assert (
        parse(text)[("mockgw_requests_total", request_labels("openai", 200, "<session>", "inline"))]
        == 2
    )


def test_scenario_and_rule_labels_are_capped() -> None:
    # Names from YAML are bounded; scenarios added at run time need not be.
    metrics = Metrics(apis=["openai"])
    extra = 5
    for index in range(MAX_SERIES + extra):
        plan = Plan(ErrorAnswer(NoMatch("s", "")), scenario=f"added-{index}", rule="r")
        metrics.record("openai", 404, plan, time.perf_counter())
    requests = {
        labels: value
        for (name, labels), value in parse(metrics.render().decode()).items()
        if name == "mockgw_requests_total"
    }
    assert len(requests) == MAX_SERIES + 1
    assert requests[request_labels("openai", 404, OTHER, OTHER)] == extra
    assert requests[request_labels("openai", 404, "added-0", "r")] == 1
