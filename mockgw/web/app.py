"""build_app(config): the aiohttp application with every route mockgw serves."""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from mockgw._version import __version__
from mockgw.config import ServerConfig
from mockgw.errors import ApiError, ConfigError
from mockgw.protocols.anthropic import codec as anthropic_routes
from mockgw.protocols.anthropic import errors as anthropic_errors
from mockgw.protocols.anthropic.prompt_cache import PromptCache
from mockgw.protocols.openai import codec as openai_routes
from mockgw.protocols.openai import errors as openai_errors
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import load_scenarios
from mockgw.state.journal import JOURNAL, Journal
from mockgw.watch import watcher
from mockgw.web import admin
from mockgw.web.frame import Exchange, RequestHandler, WireStyle
from mockgw.web.selection import SESSION_SCENARIOS, SessionScenarios, with_prefixes

CONFIG = web.AppKey("config", ServerConfig)
STARTED = web.AppKey("started", float)
PROMPT_CACHE = web.AppKey("prompt_cache", PromptCache)
ENGINE = web.AppKey("engine", Engine)


def _require(option: str, name: str, loaded: Mapping[str, object]) -> None:
    if name not in loaded:
        near = difflib.get_close_matches(name, loaded, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        known = ", ".join(sorted(loaded)) or "none loaded"
        raise ConfigError(f"{option} {name}: no such scenario{hint}; known: {known}")


def build_engine(config: ServerConfig) -> Engine:
    """The engine with the configured scenarios; a bad file raises ScenarioLoadError.

    ``chaos`` names a loaded scenario, or a file whose (single) scenario is loaded
    alongside the others.
    """
    loaded = load_scenarios([config.scenarios_dir]) if config.scenarios_dir else {}
    chaos = config.chaos
    if chaos is not None and Path(chaos).is_file():
        extra = load_scenarios([Path(chaos)])
        if len(extra) != 1:
            raise ConfigError(f"--chaos {chaos}: the file must hold exactly one scenario")
        (chaos,) = extra
        loaded = {**loaded, **extra}
    if config.scenario is not None:
        _require("--scenario", config.scenario, loaded)
    if chaos is not None:
        _require("--chaos", chaos, loaded)
    return Engine(loaded, default=config.scenario, chaos=chaos, seed=config.seed)


def _unmatched(request: web.Request) -> tuple[WireStyle, ApiError]:
    """Which provider a request that matched no route was meant for, and its 404."""
    if "anthropic-version" in request.headers or request.path.startswith("/v1/messages"):
        return anthropic_routes.STYLE, anthropic_errors.not_found()
    return openai_routes.STYLE, openai_errors.invalid_url(request.method, request.path)


def fallback(admin_token: str | None) -> RequestHandler:
    """The last route: any path or method nothing else serves.

    aiohttp would answer with text/plain; SDKs expect the provider's JSON and admin
    clients the admin shape. A catch-all route costs nothing on matched requests,
    where a middleware would run for every one.
    """

    async def unmatched(request: web.Request) -> web.StreamResponse:
        if request.path.startswith(admin.PREFIX + "/"):
            return admin.unrouted(request, admin_token)
        style, error = _unmatched(request)
        exchange = Exchange(request, style, style.new_request_id(), time.perf_counter())
        return exchange.error(error)

    return unmatched


def _by_api_version(openai: RequestHandler, anthropic: RequestHandler) -> RequestHandler:
    """Serve a shared path (``/v1/models``) in Anthropic's shape when asked to."""

    async def dispatch(request: web.Request) -> web.StreamResponse:
        if "anthropic-version" in request.headers:
            return await anthropic(request)
        return await openai(request)

    return dispatch


async def health(request: web.Request) -> web.Response:
    started = request.app[STARTED]
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
    app[CONFIG] = config
    app[STARTED] = time.monotonic()
    app[PROMPT_CACHE] = PromptCache()
    app[JOURNAL] = Journal(max_entries=config.journal_size)
    app[SESSION_SCENARIOS] = SessionScenarios()
    app[ENGINE] = engine = build_engine(config)
    app.add_routes(with_prefixes(openai_routes.routes(config, engine)))
    app.add_routes(with_prefixes(anthropic_routes.routes(config, engine, app[PROMPT_CACHE])))
    openai_list, openai_get = openai_routes.model_handlers(config, engine)
    anthropic_list, anthropic_get = anthropic_routes.model_handlers(config, engine)
    # Under the prefixes too: a client that can set only a base URL lists models there.
    app.add_routes(
        with_prefixes(
            [
                web.get("/v1/models", _by_api_version(openai_list, anthropic_list)),
                web.get("/v1/models/{model_id}", _by_api_version(openai_get, anthropic_get)),
            ]
        )
    )
    app.router.add_get("/__mockgw/health", health)
    app.add_routes(admin.routes(engine, app[PROMPT_CACHE], config.admin_token))
    if config.watch and config.scenarios_dir is not None:
        app.cleanup_ctx.append(watcher(config.scenarios_dir, engine))
    # Last, so that it only sees what no other route serves.
    app.router.add_route("*", "/{tail:.*}", fallback(config.admin_token))
    return app
