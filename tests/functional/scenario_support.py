"""Helpers for scenario tests: inline scenario files, servers, and one chat facade per SDK.

``SyncChat`` / ``AsyncChat`` send one user message through the official ``openai`` or
``anthropic`` SDK and return what a test asserts on (text, headers, finish reason,
usage), so one test body can run against both APIs without hiding which SDK is used.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

import anthropic
import openai
from anthropic.types import Message
from openai.types.chat import ChatCompletion, ChatCompletionMessageFunctionToolCall

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.web.selection import SCENARIO_HEADER, SESSION_HEADER

Api = Literal["openai", "anthropic"]
APIS: tuple[Api, ...] = ("openai", "anthropic")
OPENAI_MODEL = "gpt-4o"
# Not in the SDK's DEPRECATED_MODELS, so no DeprecationWarning on create.
ANTHROPIC_MODEL = "claude-haiku-4-5-20251001"
API_KEY = "sk-test-scenarios"


def write_scenarios(directory: Path, documents: Mapping[str, str]) -> Path:
    """Write ``{file stem: YAML}`` into ``directory`` (dedented) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem, text in documents.items():
        (directory / f"{stem}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


@contextmanager
def serving(directory: Path, scenario: str | None = None) -> Iterator[BackgroundServer]:
    """A server of ``directory``'s scenarios alone (no library), so lists name only them."""
    config = ServerConfig(port=0, scenarios_dir=directory, scenario=scenario, library=False)
    with BackgroundServer(config) as running:
        yield running


def new_session() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def selection_headers(scenario: str | None, session: str | None) -> dict[str, str]:
    headers = {}
    if scenario is not None:
        headers[SCENARIO_HEADER] = scenario
    if session is not None:
        headers[SESSION_HEADER] = session
    return headers


def base_url(server: BackgroundServer, api: Api, prefix: str = "") -> str:
    return server.url + prefix + ("/v1" if api == "openai" else "")


@dataclass(frozen=True)
class Answer:
    text: str
    finish: str | None
    input_tokens: int
    output_tokens: int
    headers: Mapping[str, str]
    thinking: str = ""
    # (name, arguments as canonical JSON) of each tool call
    tool_calls: tuple[tuple[str, str], ...] = ()


def _canonical(arguments: object) -> str:
    return json.dumps(arguments, sort_keys=True)


def _from_completion(completion: ChatCompletion, headers: Mapping[str, str]) -> Answer:
    choice = completion.choices[0]
    usage = completion.usage
    return Answer(
        text=choice.message.content or "",
        finish=choice.finish_reason,
        input_tokens=usage.prompt_tokens if usage else -1,
        output_tokens=usage.completion_tokens if usage else -1,
        headers=headers,
        tool_calls=tuple(
            (c.function.name, _canonical(json.loads(c.function.arguments)))
            for c in choice.message.tool_calls or ()
            if isinstance(c, ChatCompletionMessageFunctionToolCall)
        ),
    )


def _from_message(message: Message, headers: Mapping[str, str]) -> Answer:
    return Answer(
        text="".join(b.text for b in message.content if b.type == "text"),
        finish=message.stop_reason,
        input_tokens=message.usage.input_tokens,
        output_tokens=message.usage.output_tokens,
        headers=headers,
        thinking="".join(b.thinking for b in message.content if b.type == "thinking"),
        tool_calls=tuple(
            (b.name, _canonical(b.input)) for b in message.content if b.type == "tool_use"
        ),
    )


def _openai_args(text: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": OPENAI_MODEL,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def _anthropic_args(text: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": ANTHROPIC_MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


class _ClientOptions(TypedDict):
    base_url: str
    api_key: str
    max_retries: int
    default_headers: dict[str, str]


def _client_options(
    server: BackgroundServer,
    api: Api,
    scenario: str | None,
    session: str | None,
    prefix: str,
    headers: Mapping[str, str] | None,
    max_retries: int,
) -> _ClientOptions:
    """What both SDKs' clients, sync and async, are built with."""
    return {
        "base_url": base_url(server, api, prefix),
        "api_key": API_KEY,
        "max_retries": max_retries,
        "default_headers": {**selection_headers(scenario, session), **(headers or {})},
    }


class SyncChat:
    """One sync SDK client of ``api``, choosing scenario/session by header or URL prefix."""

    def __init__(
        self,
        server: BackgroundServer,
        api: Api,
        *,
        scenario: str | None = None,
        session: str | None = None,
        prefix: str = "",
        headers: Mapping[str, str] | None = None,
        max_retries: int = 0,
    ) -> None:
        self.api = api
        options = _client_options(server, api, scenario, session, prefix, headers, max_retries)
        self.openai: openai.OpenAI | None = None
        self.anthropic: anthropic.Anthropic | None = None
        if api == "openai":
            self.openai = openai.OpenAI(**options)
        else:
            self.anthropic = anthropic.Anthropic(**options)

    def say(self, text: str, **extra: Any) -> Answer:
        """Send one user message; ``extra`` are SDK keyword arguments for this API."""
        if self.openai is not None:
            raw = self.openai.chat.completions.with_raw_response.create(**_openai_args(text, extra))
            return _from_completion(raw.parse(), raw.headers)
        assert self.anthropic is not None
        response = self.anthropic.messages.with_raw_response.create(**_anthropic_args(text, extra))
        return _from_message(response.parse(), response.headers)

    def close(self) -> None:
        if self.openai is not None:
            self.openai.close()
        if self.anthropic is not None:
            self.anthropic.close()

    def __enter__(self) -> SyncChat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChat:
    """The async twin of :class:`SyncChat`."""

    def __init__(
        self,
        server: BackgroundServer,
        api: Api,
        *,
        scenario: str | None = None,
        session: str | None = None,
        prefix: str = "",
        headers: Mapping[str, str] | None = None,
        max_retries: int = 0,
    ) -> None:
        options = _client_options(server, api, scenario, session, prefix, headers, max_retries)
        self.openai: openai.AsyncOpenAI | None = None
        self.anthropic: anthropic.AsyncAnthropic | None = None
        if api == "openai":
            self.openai = openai.AsyncOpenAI(**options)
        else:
            self.anthropic = anthropic.AsyncAnthropic(**options)

    async def say(self, text: str, **extra: Any) -> Answer:
        if self.openai is not None:
            raw = await self.openai.chat.completions.with_raw_response.create(
                **_openai_args(text, extra)
            )
            return _from_completion(raw.parse(), raw.headers)
        assert self.anthropic is not None
        response = await self.anthropic.messages.with_raw_response.create(
            **_anthropic_args(text, extra)
        )
        return _from_message(await response.parse(), response.headers)

    async def close(self) -> None:
        if self.openai is not None:
            await self.openai.close()
        if self.anthropic is not None:
            await self.anthropic.close()

    async def __aenter__(self) -> AsyncChat:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
