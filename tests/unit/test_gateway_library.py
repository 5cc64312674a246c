"""MockGateway outside pytest: sync and async context managers, sessions, assertions."""

from __future__ import annotations

import os
from typing import Any

import openai
import pytest

from mockgw import GatewaySession, MockGateway, UsageError


async def test_async_with_serves_and_stops() -> None:
    async with MockGateway() as gateway:
        session = gateway.session(rules=[{"reply": {"text": "async hello"}}])
        client = session.async_openai_client(max_retries=0)
        reply = await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content == "async hello"
        session.assert_called(times=1, status=200)
        url = gateway.url
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0).models.list()


def test_sessions_are_isolated_and_assertions_explain() -> None:
    with MockGateway() as gateway:
        first, second = gateway.session(scenario="echo"), gateway.session(scenario="echo")
        for text in ("one", "two"):
            first.openai_client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": text}]
            )
        second.assert_not_called()
        first.assert_called(times=2, rule="echo")
        with pytest.raises(AssertionError, match=r"expected api='anthropic' at least once, got 0"):
            first.assert_called(api="anthropic")


def test_patched_env_restores_previous_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "outer-key")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with MockGateway() as gateway:
        session = gateway.session()
        with session.patched_env():
            assert os.environ["OPENAI_BASE_URL"] == session.openai_base_url
            assert os.environ["ANTHROPIC_BASE_URL"] == session.anthropic_base_url
        assert os.environ["OPENAI_API_KEY"] == "outer-key"
        assert "ANTHROPIC_BASE_URL" not in os.environ


def test_a_bad_scenario_directory_fails_start_without_leaking_a_thread(tmp_path: object) -> None:
    import threading
    from pathlib import Path

    from mockgw import ScenarioLoadError

    folder = Path(str(tmp_path))
    (folder / "bad.yaml").write_text("scenario: x\nrules: [{reply: {txt: hi}}]\n")
    before = threading.active_count()
    with pytest.raises(ScenarioLoadError, match="did you mean 'text'"):
        MockGateway(scenarios_dir=folder).start()
    assert threading.active_count() == before


def test_closing_a_session_removes_its_inline_scenarios() -> None:
    with MockGateway() as gateway:
        before = set(gateway.engine.names)
        session = gateway.session(rules="[{reply: {text: one}}]")
        session.add_rules([{"reply": {"text": "two"}}])
        assert len(set(gateway.engine.names) - before) == 2
        session.openai_client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        session.close()
        assert set(gateway.engine.names) == before
        assert session.requests() == []


def test_illegal_scripted_headers_are_dropped_or_repaired_and_said_so() -> None:
    with MockGateway() as gateway:
        session = gateway.session(
            rules=[{"reply": {"text": "ok", "headers": {"bad name": "x", "x-ok": "a\tb"}}}]
        )
        raw = session.openai_client().chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert "bad name" not in raw.headers
        assert raw.headers["x-ok"] == "a b"
        warning = raw.headers["x-mockgw-warning"]
        assert "header name 'bad name' is not a legal token" in warning
        assert "control characters in header 'x-ok'" in warning


def test_misuse_raises_usage_errors_not_http_errors() -> None:
    with MockGateway() as gateway:
        with pytest.raises(
            UsageError, match=r"no scenario named 'wether'\. Did you mean 'weather'"
        ):
            gateway.session(scenario="wether")
        with pytest.raises(UsageError, match="a session id is 1-512 printable characters"):
            gateway.session(name="a/b c")
        with pytest.raises(UsageError, match="no scenario named 'nope'"):
            gateway.session().use("nope")
        # A refused session leaves nothing behind on the shared server.
        assert not gateway.runtime.knows("a/b c")


def test_strict_check_counts_misses_even_with_no_journal() -> None:
    # The journal keeps nothing here; the check reads the session's state instead.
    with MockGateway(journal_size=0) as gateway:
        session = gateway.session(rules=[{"when": {"last_user": "ping"}, "reply": {"text": "p"}}])
        with pytest.raises(openai.NotFoundError):
            session.openai_client(max_retries=0).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
            )
        assert session.requests() == []
        assert session.misses.count == 1
        with pytest.raises(AssertionError, match="1 request\\(s\\) matched no rule"):
            session.check()
        lenient = gateway.session(strict=False, rules=[{"when": {"last_user": "x"}, "reply": {}}])
        with pytest.raises(openai.NotFoundError):
            lenient.openai_client(max_retries=0).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
            )
        assert lenient.misses.count == 1
        lenient.check()  # not strict: a miss is allowed


def test_env_keyword_patches_until_close(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://before")
    with MockGateway() as gateway:
        with gateway.session(env=True) as session:
            assert os.environ["OPENAI_BASE_URL"] == session.openai_base_url
            assert os.environ["ANTHROPIC_API_KEY"] == session.api_key
        assert os.environ["OPENAI_BASE_URL"] == "http://before"


def test_a_session_reset_forgets_its_prompt_cache_and_only_its_own() -> None:
    rules = " ".join(f"Rule {i}: answer politely and cite sources." for i in range(200))
    system: Any = [{"type": "text", "text": rules, "cache_control": {"type": "ephemeral"}}]

    def cache(session: GatewaySession) -> tuple[int, int]:
        message = session.anthropic_client(max_retries=0).messages.create(
            model="claude-haiku-4-5",
            max_tokens=16,
            system=system,
            messages=[{"role": "user", "content": "hello"}],
        )
        usage = message.usage
        return usage.cache_creation_input_tokens or 0, usage.cache_read_input_tokens or 0

    with MockGateway() as gateway:
        mine, other = gateway.session(), gateway.session()
        written, _ = cache(mine)
        assert written > 1024
        assert cache(mine) == (0, written)
        assert cache(other) == (written, 0)  # sessions never share a cache
        mine.reset()
        assert cache(mine) == (written, 0)  # written again after the reset
        assert cache(other) == (0, written)  # the other session's cache is untouched


def test_strict_check_reports_requests_to_endpoints_mockgw_does_not_serve() -> None:
    # A client that swallows the 404 of an endpoint mockgw lacks still fails the check.
    with MockGateway() as gateway:
        session = gateway.session(scenario="echo")
        client = session.openai_client(max_retries=0)
        with pytest.raises(openai.NotFoundError):
            client.post(
                "/images/generations", body={"model": "gpt-4o", "input": "hi"}, cast_to=object
            )
        with pytest.raises(
            AssertionError,
            match=r"1 request\(s\) to endpoints mockgw does not serve .*\n"
            rf"  #\d+ no such endpoint: POST /session/{session.id}/v1/images/generations",
        ):
            session.check()
        lenient = gateway.session(scenario="echo", strict=False)
        with pytest.raises(openai.NotFoundError):
            lenient.openai_client(max_retries=0).post(
                "/images/generations", body={}, cast_to=object
            )
        lenient.check()


def test_close_closes_the_sync_clients_the_session_built() -> None:
    with MockGateway() as gateway:
        session = gateway.session(scenario="echo")
        clients = [session.openai_client(), session.anthropic_client()]
        assert not any(client.is_closed() for client in clients)
        session.close()
        assert all(client.is_closed() for client in clients)
