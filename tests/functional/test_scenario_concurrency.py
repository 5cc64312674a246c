"""Many sessions at once against one server: counters and sequences never cross sessions.

Each call is numbered twice: by its position in a 50-reply ``replies:`` sequence and by
``{{ count }}``; both must agree, run 1..50 in order within each session, and carry
that session's own id back, whatever the interleaving across sessions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import aiohttp
import anthropic
import openai
import pytest

from mockgw.background import BackgroundServer
from tests.functional.scenario_support import (
    ANTHROPIC_MODEL,
    API_KEY,
    OPENAI_MODEL,
    selection_headers,
    serving,
    write_scenarios,
)

SESSIONS = 8
CALLS = 50
# One reply per call: "<position>:{{ count }}:{{ header.x-mockgw-session }}".
REPLIES = "\n".join(
    f'      - text: "{i}:{{{{ count }}}}:{{{{ header.x-mockgw-session }}}}"'
    for i in range(1, CALLS + 1)
)
COUNTING = f"""\
scenario: counting
rules:
  - name: numbered
    replies:
{REPLIES}
"""


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = write_scenarios(tmp_path_factory.mktemp("scenarios"), {"counting": COUNTING})
    with serving(directory, scenario="counting") as running:
        yield running


def _expected(session: str) -> list[str]:
    return [f"{i}:{i}:{session}" for i in range(1, CALLS + 1)]


async def _openai_call(http: aiohttp.ClientSession, url: str, session: str) -> str:
    async with http.post(
        url + "/v1/chat/completions",
        json={"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "next"}]},
        headers={"Authorization": f"Bearer {API_KEY}", **selection_headers(None, session)},
    ) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    text = body["choices"][0]["message"]["content"]
    assert isinstance(text, str)
    return text


async def test_sessions_in_parallel_each_count_one_to_fifty(counting: BackgroundServer) -> None:
    sessions = [f"par-{n}" for n in range(SESSIONS)]

    async def run(http: aiohttp.ClientSession, session: str) -> list[str]:
        # In order within a session; the sessions themselves interleave freely.
        return [await _openai_call(http, counting.url, session) for _ in range(CALLS)]

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=SESSIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        results = await asyncio.gather(*(run(http, s) for s in sessions))
    assert time.monotonic() - started < 5.0
    for session, seen in zip(sessions, results, strict=True):
        assert seen == _expected(session)


async def test_concurrent_bursts_never_skip_or_repeat(counting: BackgroundServer) -> None:
    # Every call of every session in flight at once: arrival order within a session is
    # up to the network, but the numbers handed out must still be exactly 1..50 each.
    sessions = [f"burst-{n}" for n in range(SESSIONS)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        calls = [_openai_call(http, counting.url, s) for s in sessions for _ in range(CALLS)]
        answers = await asyncio.gather(*calls)
    for session in sessions:
        mine = [a for a in answers if a.endswith(f":{session}")]
        numbers = sorted(int(a.split(":")[0]) for a in mine)
        assert numbers == list(range(1, CALLS + 1))
        # The sequence position and {{ count }} were taken in the same step.
        assert all(a.split(":")[0] == a.split(":")[1] for a in mine)


async def test_async_sdks_share_nothing_across_sessions(counting: BackgroundServer) -> None:
    # The same, through both official async SDKs, sessions chosen by URL prefix and header.
    rounds = 10

    async def openai_session(session: str) -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=f"{counting.url}/session/{session}/v1",
            api_key=API_KEY,
            max_retries=0,
            default_headers={"x-mockgw-session": session},
        ) as client:
            out = []
            for _ in range(rounds):
                completion = await client.chat.completions.create(
                    model=OPENAI_MODEL, messages=[{"role": "user", "content": "next"}]
                )
                out.append(completion.choices[0].message.content or "")
            return out

    async def anthropic_session(session: str) -> list[str]:
        async with anthropic.AsyncAnthropic(
            base_url=counting.url,
            api_key=API_KEY,
            max_retries=0,
            default_headers=selection_headers(None, session),
        ) as client:
            out = []
            for _ in range(rounds):
                message = await client.messages.create(
                    model=ANTHROPIC_MODEL,
                    max_tokens=64,
                    messages=[{"role": "user", "content": "next"}],
                )
                out.append("".join(b.text for b in message.content if b.type == "text"))
            return out

    names = [f"sdk-{n}" for n in range(4)]
    results = await asyncio.gather(
        *(openai_session(n) for n in names[:2]), *(anthropic_session(n) for n in names[2:])
    )
    for session, seen in zip(names, results, strict=True):
        assert seen == _expected(session)[:rounds]
