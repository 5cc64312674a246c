"""The journal stays within its byte budget, keeps huge bodies cut, and is read streamed."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bench.journal_memory import measure
from mockgw.background import BackgroundServer
from mockgw.config import DEFAULT_JOURNAL_BYTES, ServerConfig
from mockgw.errors import ConfigError
from mockgw.state.journal import BODY_LIMIT, Entry, Journal
from mockgw.web.app import RUNTIME

MIB = 1024 * 1024


def _entry(journal: Journal, session: str = "s", body: object = None) -> Entry:
    entry = Entry(
        seq=journal.next_seq(),
        time=0.0,
        session=session,
        api="openai",
        method="POST",
        path="/v1/chat/completions",
        request_id="req_1",
        headers={"content-type": "application/json"},  # type: ignore[arg-type]
        body=None,
        status=None,
        scenario=None,
        rule=None,
        error=None,
        code=None,
        fault=None,
        stream=False,
        events=0,
        duration_ms=0.0,
        in_flight=True,
    )
    journal.record(entry)
    if body is not None:
        journal.update(entry, body=body)  # as the frame does, once the body is read
    return entry


def _prompt(size: int) -> dict[str, object]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * size}]}


def test_the_whole_journal_stays_within_its_byte_budget() -> None:
    # Entry counts alone (1000 per session, 1000 sessions) let 1 MiB bodies reach gigabytes.
    journal = Journal(max_entries=1000, max_bytes=2 * MIB)
    entries = [_entry(journal, f"s{i % 3}", _prompt(20_000)) for i in range(300)]
    assert journal.bytes <= 2 * MIB
    kept = journal.query()
    assert 50 < len(kept) < 300  # some dropped, a budget's worth kept
    # The newest are the ones kept: the oldest of the least recently active session go,
    # so each session keeps its newest, and nothing much older than the oldest kept.
    for name in ("s0", "s1", "s2"):
        mine = [e.seq for e in entries if e.session == name]
        ours = [e.seq for e in kept if e.session == name]
        assert ours == mine[len(mine) - len(ours) :]
    assert min(e.seq for e in kept) >= entries[-len(kept) - 3].seq


def test_a_body_over_the_limit_is_kept_cut_and_marked() -> None:
    journal = Journal()
    small = _entry(journal, body=_prompt(100))
    big = _entry(journal, body=_prompt(5 * MIB))
    assert small.body == _prompt(100)
    assert small.body_truncated is False
    assert small.body_bytes == len(json.dumps(_prompt(100), separators=(",", ":")))
    assert big.body_truncated is True
    assert big.body_bytes == len(json.dumps(_prompt(5 * MIB), separators=(",", ":")))
    assert isinstance(big.body, str)
    assert big.body.startswith('{"model":"gpt-4o","messages":[{"role":"user","content":"xxx')
    assert len(big.body.encode()) == BODY_LIMIT
    assert journal.bytes < 2 * BODY_LIMIT  # counted as kept, not as sent


def test_a_cut_never_splits_a_character() -> None:
    journal = Journal()
    entry = _entry(journal, body={"text": "é" * BODY_LIMIT})  # two bytes each
    assert isinstance(entry.body, str)
    assert len(entry.body.encode()) <= BODY_LIMIT
    assert entry.body.endswith("é")


def test_completing_an_entry_does_not_count_its_body_twice() -> None:
    journal = Journal()
    entry = _entry(journal, body=_prompt(10_000))
    counted = journal.bytes
    journal.update(entry, body=entry.body, status=200, in_flight=False)  # as settle() does
    assert journal.bytes == counted
    journal.clear("s")
    assert journal.bytes == 0


def test_evicted_entries_give_their_bytes_back() -> None:
    journal = Journal(max_entries=2)
    for _ in range(5):
        _entry(journal, body=_prompt(1000))
    two = journal.bytes
    journal.clear()
    for _ in range(2):
        _entry(journal, body=_prompt(1000))
    assert journal.bytes == two  # what the three dropped cost is not still counted
    dropped = _entry(journal, "x")
    journal.clear("x")
    journal.update(dropped, body=_prompt(1000))  # completing an entry no longer kept
    assert journal.bytes == two


def test_a_budget_below_zero_is_refused() -> None:
    with pytest.raises(ConfigError, match="--journal-bytes -1: must be 0 or more"):
        Journal(max_bytes=-1)
    assert ServerConfig().journal_bytes == DEFAULT_JOURNAL_BYTES == 256 * MIB


async def test_the_admin_api_streams_the_journal_and_shows_the_cut() -> None:
    config = ServerConfig(port=0, journal_bytes=8 * MIB)
    with BackgroundServer(config) as server:
        url = server.url
        headers = {"Authorization": "Bearer sk-memory"}
        async with aiohttp.ClientSession() as http:
            for size in (100, 300_000, *([20_000] * 20)):
                body = {**_prompt(size), "max_tokens": 5}
                async with http.post(f"{url}/v1/chat/completions", json=body, headers=headers) as r:
                    assert r.status == 200
            async with http.get(f"{url}/__mockgw/requests") as response:
                # Written as it is serialised, not as one body of known length.
                assert response.headers.get("Transfer-Encoding") == "chunked"
                assert response.content_type == "application/json"
                document = await response.json()
            async with http.get(f"{url}/__mockgw/requests.jsonl?limit=21") as response:
                assert response.headers.get("Transfer-Encoding") == "chunked"
                lines = (await response.text()).splitlines()
        assert server.app is not None
        assert server.app[RUNTIME].journal.bytes <= 8 * MIB
    small, big, *_ = document["requests"]
    assert (small["body_truncated"], big["body_truncated"]) == (False, True)
    assert big["body_bytes"] > 300_000
    assert big["status"] == 200  # the answer is the same: only the journal's copy is cut
    assert [json.loads(line) for line in lines] == document["requests"][1:]


@pytest.mark.slow
def test_a_server_under_megabyte_bodies_stays_within_budget() -> None:
    """RSS of a ``mockgw serve`` process: 3 sessions of 1 MiB bodies, an 8 MiB budget.

    Before the byte budget each body stayed whole: 120 MiB here (3 GB for 3 x 1000).
    ``python -m bench.journal_memory`` runs the full-size case.
    """
    if not Path("/proc/self/status").exists():
        pytest.skip("reads RSS from /proc (Linux)")
    result = measure(sessions=3, requests=40, body_bytes=MIB, journal_bytes="8MiB")
    assert result.entries == 120  # 40 cut bodies of 64 KiB per session fit in 8 MiB
    growth = result.rss_loaded - result.rss_start
    # The budget plus room for the allocator and one request's buffers in flight.
    assert growth < 8 * MIB + 64 * MIB, f"RSS grew by {growth / MIB:.0f} MiB"
    assert result.peak - result.rss_start < 8 * MIB + 96 * MIB
