"""Which scenario and session a request is for: URL prefix, then header, then default.

A URL prefix (``/s/NAME/v1/...``, ``/session/ID/v1/...``) is the strongest choice
because some clients can set nothing but a base URL; a header comes next; the
server's ``--scenario`` is the fallback.
"""

from __future__ import annotations

from aiohttp import web

from mockgw.scenarios.engine import DEFAULT_SESSION

SCENARIO_HEADER = "X-Mockgw-Scenario"
SESSION_HEADER = "X-Mockgw-Session"

# Every API route is also served under these prefixes.
PREFIXES = ("", "/s/{scenario}", "/session/{session}", "/session/{session}/s/{scenario}")


def chosen_scenario(request: web.Request) -> str | None:
    return request.match_info.get("scenario") or request.headers.get(SCENARIO_HEADER) or None


def chosen_session(request: web.Request) -> str:
    return (
        request.match_info.get("session") or request.headers.get(SESSION_HEADER) or DEFAULT_SESSION
    )


def with_prefixes(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    return [
        web.route(route.method, prefix + route.path, route.handler)
        for route in routes
        for prefix in PREFIXES
    ]
