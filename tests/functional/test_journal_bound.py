"""The journal stays bounded: ``journal_size`` entries per session, the newest kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.core.keys import REDACTED, redact_headers
from mockgw.errors import ConfigError
from mockgw.state import journal as journal_module
from mockgw.state.journal import Entry, Journal
from mockgw.web.app import RUNTIME

SIZE = 100
TOTAL = 5_000
SESSIONS = ("bound-a", "bound-b")


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0, journal_size=SIZE)) as running:
        yield running


def _body(text: str) -> dict[str, object]:
    return {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": text}]}


@pytest.mark.slow
async def test_journal_holds_at_most_size_per_session(server: BackgroundServer) -> None:
    url = server.url + "/v1/chat/completions"
    headers = {"Authorization": "Bearer sk-bound"}
    burst = TOTAL - 2 * SIZE
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:

        async def send(i: int) -> None:
            session = {"X-Mockgw-Session": SESSIONS[i % 2], **headers}
            async with http.post(url, json=_body(f"burst {i}"), headers=session) as response:
                assert response.status == 200
                await response.read()

        queue = iter(range(burst))

        async def worker() -> None:
            for i in queue:
                await send(i)

        await asyncio.gather(*(worker() for _ in range(64)))
        # Then, one at a time, exactly a journal's worth per session: these must be
        # what is kept, in order.
        for i in range(2 * SIZE):
            session = {"X-Mockgw-Session": SESSIONS[i % 2], **headers}
            async with http.post(url, json=_body(f"last {i}"), headers=session) as response:
                assert response.status == 200
                await response.read()

        async with http.get(f"{server.url}/__mockgw/requests") as response:
            everything = (await response.json())["requests"]
        per_session = {}
        for name in SESSIONS:
            async with http.get(f"{server.url}/__mockgw/requests?session={name}") as response:
                per_session[name] = (await response.json())["requests"]

    assert len(everything) == 2 * SIZE
    assert max(e["seq"] for e in everything) == TOTAL
    for index, name in enumerate(SESSIONS):
        kept = per_session[name]
        assert len(kept) == SIZE
        texts = [e["body"]["messages"][0]["content"] for e in kept]
        assert texts == [f"last {i}" for i in range(index, 2 * SIZE, 2)]
        assert [e["seq"] for e in kept] == sorted(e["seq"] for e in kept)
    assert server.app is not None
    assert len(server.app[RUNTIME].journal) == 2 * SIZE


# --- Journal, as a unit ----------------------------------------------------------------------


def _entry(journal: Journal, session: str = "s", **fields: object) -> Entry:
    values: dict[str, object] = {
        "seq": journal.next_seq(),
        "time": 0.0,
        "session": session,
        "api": "openai",
        "method": "POST",
        "path": "/v1/chat/completions",
        "request_id": "req_1",
        "headers": {},
        "body": None,
        "status": 200,
        "scenario": None,
        "rule": None,
        "error": None,
        "code": None,
        "fault": None,
        "stream": False,
        "events": 0,
        "duration_ms": 1.0,
        **fields,
    }
    entry = Entry(**values)  # type: ignore[arg-type]
    journal.record(entry)
    return entry


def test_eviction_keeps_the_newest_per_session() -> None:
    journal = Journal(max_entries=3)
    a = [_entry(journal, "a") for _ in range(5)]
    b = [_entry(journal, "b") for _ in range(2)]
    assert journal.query(session="a") == a[-3:]
    assert journal.query(session="b") == b
    assert journal.query() == [*a[-3:], *b]  # merged, in seq order
    assert len(journal) == 5


def test_only_the_most_recently_active_sessions_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "MAX_SESSIONS", 2)
    journal = Journal(max_entries=10)
    _entry(journal, "old")
    _entry(journal, "mid")
    _entry(journal, "old")  # "old" is now the most recent
    _entry(journal, "new")  # evicts "mid"
    assert journal.has_session("old")
    assert not journal.has_session("mid")
    assert journal.has_session("new")
    assert [e.session for e in journal.query()] == ["old", "old", "new"]


def test_filters() -> None:
    journal = Journal()
    e1 = _entry(journal, "a", rule="r1")
    e2 = _entry(journal, "a", status=404, code="mockgw_no_match")
    e3 = _entry(journal, "b", api="anthropic", rule="r1")
    e4 = _entry(journal, "b", status=429, rule="r2")
    assert journal.query(session="a") == [e1, e2]
    assert journal.query(session="zzz") == []
    assert journal.query(api="anthropic") == [e3]
    assert journal.query(status=404) == [e2]
    assert journal.query(rule="r1") == [e1, e3]
    assert journal.query(rule="r1", session="b") == [e3]
    assert journal.query(since=e2.seq) == [e3, e4]
    assert journal.query(since=e4.seq) == []
    assert journal.query(since=-5) == [e1, e2, e3, e4]


def test_limit_keeps_the_newest() -> None:
    journal = Journal()
    entries = [_entry(journal) for _ in range(4)]
    assert journal.query(limit=2) == entries[-2:]
    assert journal.query(limit=10) == entries  # not entries[-10:] (a negative start)
    assert journal.query(limit=0) == []
    assert journal.query(limit=None) == entries
    assert journal.query(limit=1, since=entries[0].seq) == entries[-1:]


def test_clear() -> None:
    journal = Journal()
    _entry(journal, "a")
    _entry(journal, "b")
    journal.clear("a")
    assert [e.session for e in journal.query()] == ["b"]
    assert not journal.has_session("a")
    journal.clear("never-seen")
    journal.clear()
    assert len(journal) == 0
    assert journal.query() == []


def test_size_zero_keeps_nothing_and_negative_is_refused() -> None:
    journal = Journal(max_entries=0)
    _entry(journal)
    assert journal.query() == []
    with pytest.raises(ConfigError, match="journal-size"):
        Journal(max_entries=-1)


def test_entries_round_trip_to_json() -> None:
    journal = Journal()
    entry = _entry(journal, body={"messages": []}, headers={"a": "b"})
    data = entry.to_json()
    assert data["seq"] == entry.seq
    assert data["body"] == {"messages": []}
    assert Entry(**data) == entry


@pytest.mark.parametrize(
    "name", ["Authorization", "x-api-key", "X-API-KEY", "api-key", "Cookie", "Proxy-Authorization"]
)
def test_redact_headers(name: str) -> None:
    redacted = redact_headers({name: "sk-secret", "Content-Type": "application/json"})
    assert redacted == {name: REDACTED, "Content-Type": "application/json"}
