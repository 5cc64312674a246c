"""Provider profiles on the OpenAI endpoint: what OpenAI's own service sends, and what a
Claude-fronting gateway's OpenAI-compatible endpoint leaves out (``--profile``, a
scenario's ``profile:``), seen through the official SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.cli import build_parser, config_from_args
from mockgw.config import ServerConfig
from tests.conftest import API_KEY
from tests.functional.scenario_support import selection_headers, write_scenarios

MODEL = "gpt-4o"
HELLO: Any = [{"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module")
def gateway_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, profile="gateway")) as running:
        yield running


def _client(server: BackgroundServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="any", max_retries=0)


def _chunks(client: openai.OpenAI, **kwargs: Any) -> list[dict[str, Any]]:
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True, **kwargs)
    return [chunk.to_dict() for chunk in stream]


def test_native_chunks_carry_obfuscation_by_default(oai: openai.OpenAI) -> None:
    chunks = _chunks(oai, stream_options={"include_usage": True})
    assert len(chunks) > 2
    for chunk in chunks:
        assert isinstance(chunk["obfuscation"], str)
        assert chunk["obfuscation"]
        assert chunk["service_tier"] == "default"
        assert chunk["system_fingerprint"].startswith("fp_")


def test_include_obfuscation_false_leaves_it_out(oai: openai.OpenAI) -> None:
    chunks = _chunks(oai, stream_options={"include_obfuscation": False})
    assert chunks
    assert all("obfuscation" not in chunk for chunk in chunks)


@pytest.mark.parametrize(
    ("requested", "served"),
    [(None, "default"), ("auto", "default"), ("flex", "flex"), ("priority", "priority"),
     ("fast", "priority")],
)  # fmt: skip
def test_service_tier_reports_the_tier_served(
    oai: openai.OpenAI, requested: Any, served: str
) -> None:
    extra = {} if requested is None else {"service_tier": requested}
    completion = oai.chat.completions.create(model=MODEL, messages=HELLO, **extra)
    assert completion.service_tier == served


def test_gateway_profile_sends_no_fingerprint_tier_or_obfuscation(
    gateway_server: BackgroundServer,
) -> None:
    client = _client(gateway_server)
    completion = client.chat.completions.create(model=MODEL, messages=HELLO, service_tier="flex")
    assert completion.choices[0].message.content
    body = completion.to_dict()
    assert "system_fingerprint" not in body
    assert "service_tier" not in body
    chunks = _chunks(client)
    assert chunks
    for chunk in chunks:
        assert not {"obfuscation", "service_tier", "system_fingerprint"} & set(chunk)


def test_a_scenario_profile_overrides_the_server_one(
    tmp_path: Path,
) -> None:
    folder = write_scenarios(
        tmp_path,
        {"g.yaml": "scenario: behind-gateway\nprofile: gateway\nunmatched: generate\nrules: []\n"},
    )
    config = ServerConfig(port=0, scenarios_dir=folder)
    with BackgroundServer(config) as native:
        client = _client(native)
        plain = client.chat.completions.create(model=MODEL, messages=HELLO)
        chosen = client.chat.completions.create(
            model=MODEL, messages=HELLO, extra_headers=selection_headers("behind-gateway", None)
        )
    assert plain.system_fingerprint
    assert chosen.system_fingerprint is None
    assert chosen.service_tier is None


def test_profile_option_reaches_the_config() -> None:
    args = build_parser().parse_args(["serve", "--profile", "gateway"])
    assert config_from_args(args).profile == "gateway"
    assert config_from_args(build_parser().parse_args(["serve"])).profile == "native"


def test_an_unknown_profile_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--profile", "litellm"])
    assert "native" in capsys.readouterr().err


def test_obfuscation_is_valid_json_in_every_chunk(oai: openai.OpenAI) -> None:
    # The raw lines: each chunk stays one JSON object with obfuscation its last key.
    with oai.chat.completions.with_streaming_response.create(
        model=MODEL, messages=HELLO, stream=True
    ) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    assert lines
    for line in lines:
        assert list(json.loads(line[6:]))[-1] == "obfuscation"


def test_gateway_profile_on_the_responses_api_sends_no_service_tier(
    gateway_server: BackgroundServer, server: BackgroundServer
) -> None:
    # The same request: OpenAI's own service reports its tier, a gateway's endpoint does not,
    # in the plain response and in every event of the stream.
    native = openai.OpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0)
    assert native.responses.create(model=MODEL, input="Hello").to_dict()["service_tier"]
    client = _client(gateway_server)
    response = client.responses.create(model=MODEL, input="Hello")
    assert response.output_text
    assert "service_tier" not in response.to_dict()
    events: list[dict[str, Any]] = [
        json.loads(event.to_json())
        for event in client.responses.create(model=MODEL, input="Hello", stream=True)
    ]
    assert events
    snapshots = [e["response"] for e in events if "response" in e]
    assert snapshots  # response.created ... response.completed carry the response
    for snapshot in snapshots:
        assert "service_tier" not in snapshot
