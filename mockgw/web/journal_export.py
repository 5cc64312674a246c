"""Sending the journal out (``GET /__mockgw/requests``, ``.jsonl``) a piece at a time.

The journal may hold hundreds of megabytes (``--journal-bytes``); building the whole
answer as one string would hold it twice more, and serialising it in one go would stall
every other request on the loop. Entries are serialised one by one and written in chunks
of about CHUNK bytes, yielding to the loop between chunks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator

from aiohttp import web

from mockgw.state.journal import Entry

CHUNK = 256 * 1024


def _chunks(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


async def _send(
    request: web.Request, content_type: str, pieces: Iterable[str]
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": f"{content_type}; charset=utf-8"})
    await response.prepare(request)
    for chunk in _chunks(pieces):
        await response.write(chunk)
        await asyncio.sleep(0)  # write() only waits when the socket is full: let others run
    await response.write_eof()
    return response


def _json_pieces(entries: list[Entry]) -> Iterator[str]:
    # The same text as json.dumps({"requests": [...]}), produced an entry at a time.
    yield '{"requests": ['
    for index, entry in enumerate(entries):
        yield (", " if index else "") + json.dumps(entry.to_json())
    yield "]}"


async def send_json(request: web.Request, entries: list[Entry]) -> web.StreamResponse:
    """``{"requests": [...]}``, streamed."""
    return await _send(request, "application/json", _json_pieces(entries))


async def send_jsonl(request: web.Request, entries: list[Entry]) -> web.StreamResponse:
    """One entry per line, streamed."""
    lines = (json.dumps(entry.to_json()) + "\n" for entry in entries)
    return await _send(request, "application/x-ndjson", lines)
