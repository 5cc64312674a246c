"""build_app(config): the aiohttp application with every route mockgw serves."""

from __future__ import annotations

import difflib
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from aiohttp import hdrs, web

from mockgw._version import __version__
from mockgw.config import ServerConfig
from mockgw.core.failures import PRESETS
from mockgw.errors import ConfigError
from mockgw.protocols.codec import Codec
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.library import load_sources
from mockgw.scenarios.loader import load_scenarios
from mockgw.state.journal import NO_ROUTE, WRONG_METHOD, Journal
from mockgw.state.runtime import Runtime
from mockgw.watch import watcher
from mockgw.web import admin
from mockgw.web.admin_guard import AdminGuard
from mockgw.web.frame import Exchange, RequestHandler, framed
from mockgw.web.pipeline import handler
from mockgw.web.selection import api_path, with_prefixes

# The one key of the application's state: everything else hangs off the runtime.
RUNTIME = web.AppKey("runtime", Runtime)


def _require(option: str, name: str, loaded: Mapping[str, object]) -> None:
    if name not in loaded:
        near = difflib.get_close_matches(name, loaded, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        known = ", ".join(sorted(loaded)) or "none loaded"
        raise ConfigError(f"{option} {name}: no such scenario{hint}; known: {known}")


def build_engine(config: ServerConfig, *, apis: tuple[str, ...] | None = None) -> Engine:
    """The engine with the configured scenarios; a bad file raises ScenarioLoadError.

    The user's directories come over the shipped library (``config.library``): a name
    they define hides the library's; one defined twice across them is an error.

    ``chaos`` names a loaded scenario, or a file whose (single) scenario is loaded
    alongside the others. ``apis`` are the codecs' names, which ``api:`` may use.
    """
    loaded = load_sources(config.scenarios_dirs, library=config.library, apis=apis)
    chaos = config.chaos
    if chaos is not None and Path(chaos).is_file():
        extra = load_scenarios([Path(chaos)], apis=apis)
        if len(extra) != 1:
            raise ConfigError(f"--chaos {chaos}: the file must hold exactly one scenario")
        (chaos,) = extra
        loaded = {**loaded, **extra}
    if config.scenario is not None:
        _require("--scenario", config.scenario, loaded)
    if chaos is not None:
        _require("--chaos", chaos, loaded)
    return Engine(loaded, default=config.scenario, chaos=chaos, seed=config.seed, apis=apis)


def build_runtime(config: ServerConfig) -> Runtime:
    codecs = [make() for make in config.codecs]
    if not codecs:
        raise ConfigError("a server needs at least one codec")
    for codec in codecs:
        # A missing entry would turn a scenario's `error: rate_limit` into a bare 500.
        missing = [name for name in PRESETS if name not in codec.presets]
        if missing:
            raise ConfigError(f"codec '{codec.name}' has no wording for: {', '.join(missing)}")
    return Runtime(
        config=config,
        engine=build_engine(config, apis=tuple(c.name for c in codecs)),
        journal=Journal(max_entries=config.journal_size, max_bytes=config.journal_bytes),
        codecs=codecs,
    )


def _claimed(codecs: Sequence[Codec], request: web.Request) -> Codec:
    """The codec a request is meant for when its path alone cannot say."""
    path = api_path(request)
    return next((c for c in codecs if c.claims(path, request.headers)), codecs[0])


def _dispatch(served: Sequence[tuple[Codec, RequestHandler]]) -> RequestHandler:
    """One path several codecs serve (``/v1/models``): the claiming codec answers."""
    handlers = dict(served)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        return await handlers[_claimed(list(handlers), request)](request)

    return dispatch


def api_routes(runtime: Runtime) -> list[web.RouteDef]:
    """Every codec's routes, also under the scenario and session prefixes."""
    served: defaultdict[tuple[str, str], list[tuple[Codec, RequestHandler]]] = defaultdict(list)
    for codec in runtime.codecs:
        for route in codec.routes():
            served[(route.method, route.path)].append(
                (codec, handler(codec, route.operation, runtime))
            )
    table = [
        web.route(method, path, pairs[0][1] if len(pairs) == 1 else _dispatch(pairs))
        for (method, path), pairs in served.items()
    ]
    return with_prefixes(table)


def fallback(runtime: Runtime, guard: AdminGuard) -> RequestHandler:
    """The last route: any path or method nothing else serves.

    aiohttp would answer with text/plain; SDKs expect the provider's JSON and admin
    clients the admin shape. A catch-all route costs nothing on matched requests,
    where a middleware would run for every one. An API request that lands here is
    journaled like any other, with mockgw's reason (``NO_ROUTE``, ``WRONG_METHOD``):
    a client calling an endpoint mockgw does not emulate must be visible.
    """

    async def not_found(exchange: Exchange) -> web.StreamResponse:
        runtime.seen(exchange.session)  # a request used it: the admin API knows it now
        request = exchange.request
        method, path = request.method, request.path
        error = exchange.codec.route_not_found(method, path)
        allowed = _allowed_methods(request)
        if not allowed:
            return exchange.error(error, reason=f"no such endpoint: {method} {path}", code=NO_ROUTE)
        # The real APIs answer a wrong method with their 404 too (docs/deviations.md);
        # Allow says what would have worked.
        error.headers["Allow"] = ", ".join(allowed)
        reason = f"method {method} not allowed on {path}; allowed: {', '.join(allowed)}"
        return exchange.error(error, reason=reason, code=WRONG_METHOD)

    async def unmatched(request: web.Request) -> web.StreamResponse:
        if request.path.startswith(admin.PREFIX + "/"):
            # Not journaled: the journal is of requests to the API, not to mockgw itself.
            return admin.unrouted(request, guard)
        codec = _claimed(runtime.codecs, request)
        session = _prefixed_session(request)
        return await framed(
            request, codec, runtime.journal, not_found, metrics=runtime.metrics, session=session
        )

    return unmatched


# No route matched, so aiohttp's match_info holds no session: read the prefix itself.
_SESSION_PREFIX = re.compile(r"^/session/([^/]+)(?=/)")


def _prefixed_session(request: web.Request) -> str | None:
    """The session a ``/session/ID/...`` path names, which outranks the header."""
    match = _SESSION_PREFIX.match(request.path)
    return match[1] if match else None


def _allowed_methods(request: web.Request) -> list[str]:
    """The methods the API serves at ``request``'s path (none: no such endpoint)."""
    path = request.path
    return sorted(
        {
            route.method
            for resource in request.app.router.resources()
            if admin.resource_matches(resource, path)
            for route in resource
            if route.method != hdrs.METH_ANY  # the catch-all itself
        }
    )


async def health(request: web.Request) -> web.Response:
    started = request.app[RUNTIME].started
    return web.json_response(
        {
            "status": "ok",
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - started, 3),
        }
    )


def build_app(config: ServerConfig) -> web.Application:
    # aiohttp's own limit is a backstop; the codecs check the size first so that an
    # oversized body gets the provider's 413, not aiohttp's.
    app = web.Application(client_max_size=config.max_body_bytes + 1)
    app[RUNTIME] = runtime = build_runtime(config)
    app.add_routes(api_routes(runtime))
    app.router.add_get("/__mockgw/health", health)
    # One guard for every admin route and unrouted admin path; health stays open.
    guard = AdminGuard(bound=config.host, allowed=config.allowed_hosts, token=config.admin_token)
    app.add_routes(admin.routes(runtime, guard))
    if config.watch and config.scenarios_dirs:
        app.cleanup_ctx.append(
            watcher(config.scenarios_dirs, runtime.engine, library=config.library)
        )
    # Last, so that it only sees what no other route serves. Not ".*": a path with an
    # encoded newline (%0A) would miss it and get aiohttp's plain-text 404.
    app.router.add_route("*", r"/{tail:[\s\S]*}", fallback(runtime, guard))
    return app
