"""``GET /__mockgw/metrics``: the server's metrics, for a Prometheus scrape.

Only under the admin prefix, with the admin API's token: a bare ``/metrics`` would be a
path the mock answers and the real APIs do not (there it is a 404, and a codec may serve
``/metrics`` itself), so a client under test could see a difference that is not there.
A scrape configuration names the path (``metrics_path: /__mockgw/metrics``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from mockgw.state.runtime import Runtime

# The classic text format, which prometheus_client's generate_latest writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_handler(runtime: Runtime) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of the route; the admin API puts its token check around it."""

    async def metrics(request: web.Request) -> web.Response:  # noqa: ARG001 (aiohttp handler)
        return web.Response(body=runtime.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    return metrics
