"""The bare aiohttp baseline: canned bytes back, no parsing, no validation.

It is the ceiling mockgw is measured against: the same framework, the same
response bytes (captured from mockgw once, before loading), and none of mockgw's
work. Run as ``python -m bench.baseline JSON_FILE SSE_FILE``; it prints
``baseline listening on http://HOST:PORT`` first, the shape mockgw announces.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from aiohttp import web

_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}


def build_app(completion: bytes, stream: bytes) -> web.Application:
    async def chat_completions(request: web.Request) -> web.StreamResponse:
        # Drain the body as any real handler must, but don't parse it; a substring
        # test is the cheapest way to tell the two benchmark requests apart.
        body = await request.read()
        if b'"stream": true' not in body and b'"stream":true' not in body:
            return web.Response(body=completion, headers=_JSON_HEADERS)
        # One write, as mockgw does when it has no pacing to honour.
        response = web.StreamResponse(headers=_SSE_HEADERS)
        await response.prepare(request)
        await response.write(stream)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    return app


async def serve(completion: bytes, stream: bytes) -> None:
    # access_log=None: mockgw's CLI runs without an access log too.
    runner = web.AppRunner(build_app(completion, stream), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = getattr(site, "_server", None)  # aiohttp has no public bound-port accessor
    port = int(server.sockets[0].getsockname()[1]) if server is not None else 0
    print(f"baseline listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.baseline JSON_FILE SSE_FILE", file=sys.stderr)
        return 2
    asyncio.run(serve(Path(argv[0]).read_bytes(), Path(argv[1]).read_bytes()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
