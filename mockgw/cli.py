"""The ``mockgw`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mockgw._version import __version__
from mockgw.config import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    ServerConfig,
)
from mockgw.core.models import ModelCatalogue
from mockgw.core.profiles import DEFAULT_PROFILE, PROFILES
from mockgw.errors import ConfigError
from mockgw.exposure import ENV_TOKEN, bind_warning
from mockgw.scenarios.loader import (
    SUFFIXES,
    Check,
    ScenarioLoadError,
    check_scenarios,
    scenario_files,
)
from mockgw.scenarios.model import json_schema
from mockgw.server import serve
from mockgw.sizes import byte_size

# A probe that waits longer than a container HEALTHCHECK's own timeout reports nothing.
HEALTH_TIMEOUT_SECONDS = 2.0


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockgw", description="Offline emulator of the OpenAI and Anthropic chat APIs."
    )
    parser.add_argument("--version", action="version", version=f"mockgw {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the HTTP server")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument(
        "--port", type=_port, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    run.add_argument(
        "--scenarios",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="directory of scenario files (repeatable); its names hide the library's",
    )
    run.add_argument(
        "--no-library",
        dest="library",
        action="store_false",
        help="do not serve the shipped scenario library (weather, echo, ...) by name",
    )
    run.add_argument(
        "--scenario",
        default=None,
        metavar="NAME",
        help="scenario for requests that choose none (header X-Mockgw-Scenario, /s/NAME/ prefix)",
    )
    run.add_argument(
        "--watch",
        action="store_true",
        help="reload scenario files when they change; a bad edit keeps the last good set",
    )
    run.add_argument(
        "--chaos",
        default=None,
        metavar="NAME|FILE",
        help="a scenario (loaded, or a file) whose rules are tried before every request's own",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of every random choice (probability, delays, jitter); replays a run",
    )
    run.add_argument(
        "--max-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="the longest one response holds its connection, every scripted wait "
        "(delay, pacing, hang, stall) included; then it is cut (default 30)",
    )
    run.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept only this key (repeatable); without it any non-empty key is accepted",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="reject unknown request fields as the real APIs do (default: accept and warn)",
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default=DEFAULT_PROFILE,
        help="answer as this service: native (the provider's own API, the default) or gateway "
        "(a Claude-fronting gateway's OpenAI-compatible endpoint); a scenario's profile: wins",
    )
    run.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="ID",
        help="add a model id to the catalogue (repeatable)",
    )
    run.add_argument(
        "--no-default-models",
        action="store_true",
        help="start from an empty catalogue: only --model ids exist",
    )
    run.add_argument(
        "--any-model", action="store_true", help="accept any model id instead of answering 404"
    )
    run.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"largest accepted request body (default {DEFAULT_MAX_BODY_BYTES})",
    )
    run.add_argument(
        "--ready-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the base URL to PATH once the server accepts connections",
    )
    # Three sources: argv shows in `ps` to every user of the machine, so the file and
    # the environment (MOCKGW_ADMIN_TOKEN) are the ones to use; a flag wins over the env.
    token = run.add_mutually_exclusive_group()
    token.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help=(
            "require 'Authorization: Bearer TOKEN' on the admin API (/__mockgw/, not health); "
            f"visible in ps: prefer --admin-token-file or {ENV_TOKEN}"
        ),
    )
    token.add_argument(
        "--admin-token-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="read the admin token from PATH (one trailing newline is dropped)",
    )
    run.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help=(
            "also answer admin requests for this Host and from pages of this Origin host "
            "(repeatable): a name, a .domain suffix, an IP, or '*' for any; loopback names "
            "and the bound address always are"
        ),
    )
    run.add_argument(
        "--journal-size",
        type=int,
        default=1000,
        metavar="N",
        help="journal entries kept per session (default 1000)",
    )
    # The journal's memory, across sessions (docs/journal.md#journal-memory).
    run.add_argument(
        "--journal-bytes",
        type=byte_size,
        default=DEFAULT_JOURNAL_BYTES,
        metavar="SIZE",
        help="bytes the whole journal may hold, e.g. 64MiB (default 256MiB; oldest dropped)",
    )
    run.add_argument(
        "--quiet",
        action="store_true",
        help="print only the 'mockgw listening on' line: no banner, no access log",
    )
    _connection_options(run)

    check = commands.add_parser("validate", help="check scenario files; exit 1 on errors")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("scenarios")],
        metavar="PATH",
        help="files or directories (default: scenarios)",
    )
    check.add_argument(
        "--json",
        action="store_true",
        help="print every problem and a summary as one JSON document on stdout",
    )
    commands.add_parser("schema", help="print the JSON Schema of the scenario format")

    probe = commands.add_parser(
        "health", help="check a running server (for HEALTHCHECK and CI); exit 1 if it is not up"
    )
    probe.add_argument(
        "url", metavar="URL", help="the server's base URL, e.g. http://127.0.0.1:8080"
    )
    probe.add_argument(
        "--timeout",
        type=float,
        default=HEALTH_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"give up after this long (default {HEALTH_TIMEOUT_SECONDS:g})",
    )
    return parser


def _served_apis() -> tuple[str, ...]:
    """The names of the wire formats ``mockgw serve`` speaks (``api:`` may use them)."""
    return tuple(make().name for make in ServerConfig().codecs)


# A process that SIGPIPE ends reports 128 + 13 to its shell; a reader that stopped
# early (`mockgw schema | head`) sees the same from mockgw as from cat or git.
EXIT_BROKEN_PIPE = 141


def _write(text: str) -> int:
    """Write ``text`` to stdout: 0, or ``EXIT_BROKEN_PIPE`` if the reader has gone."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has what it wanted: no traceback. Stdout goes to devnull so that
        # the interpreter's own flush at exit does not fail on the same pipe again.
        # (ValueError, OSError: no real file descriptor behind stdout, as under capture.)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return 0


def validate(paths: list[Path], *, as_json: bool = False) -> int:
    """``mockgw validate``: 0 when every file loads, 1 on problems, 2 when a path is
    missing or a directory holds no scenario file (nothing to check is a mistake in
    the command, as a missing path is, and must not pass a CI job)."""
    missing = [p for p in paths if not p.exists()]
    empty = [p for p in paths if p.is_dir() and not scenario_files([p])]
    for path in missing:
        print(f"{path}: no such file or directory", file=sys.stderr)
    for path in empty:
        patterns = ", ".join(f"*{suffix}" for suffix in SUFFIXES)
        print(f"{path}: no scenario files ({patterns}) in this directory", file=sys.stderr)
    if missing or empty:
        return 2
    check = check_scenarios(paths, apis=_served_apis())
    outcome = 1 if check.problems else 0
    if as_json:
        return _write(json.dumps(report(check), indent=2) + "\n") or outcome
    if check.problems:
        for problem in check.problems:
            print(problem, file=sys.stderr)
        count = len(check.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return outcome
    names = ", ".join(sorted(check.scenarios))
    return _write(
        f"ok: {len(check.scenarios)} scenario(s) in {len(check.files)} file(s): {names}\n"
    )


def report(check: Check) -> dict[str, Any]:
    """The JSON document ``mockgw validate --json`` prints."""
    return {
        "problems": [problem.as_dict() for problem in check.problems],
        "summary": {
            "files": len(check.files),
            "scenarios": len(check.scenarios),
            "problems": len(check.problems),
        },
    }


# A format version would drift from the code unnoticed; the release it came from cannot.
SCHEMA_ID = f"urn:mockgw:scenario-schema:{__version__}"


def schema_text() -> str:
    """What ``mockgw schema`` prints (``schema/mockgw-scenario.schema.json`` holds a copy)."""
    schema = json_schema(apis=_served_apis())
    # The identity first, where a reader of the file looks for it.
    ordered = {"$schema": schema.pop("$schema"), "$id": SCHEMA_ID, "title": schema.pop("title")}
    return json.dumps({**ordered, **schema}, indent=2) + "\n"


def health(url: str, *, timeout: float = HEALTH_TIMEOUT_SECONDS) -> int:
    """``mockgw health URL``: print the server's health document and return 0, or print
    one line saying why not and return 1. The standard library only, so a container or
    CI step can probe without curl and without starting an event loop."""
    target = url.rstrip("/") + "/__mockgw/health"
    # No proxy: a CI job's HTTP(S)_PROXY would send a probe of the job's own mockgw away.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(target, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # before URLError: it is one
        print(f"mockgw: {target}: HTTP {exc.code}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"mockgw: {target}: {exc.reason}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:  # a timeout mid-read, an unusable URL
        print(f"mockgw: {target}: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    try:
        document = json.loads(body)
    except ValueError:
        print(f"mockgw: {target}: the answer is not JSON", file=sys.stderr)
        return 1
    if not isinstance(document, dict) or document.get("status") != "ok":
        print(f"mockgw: {target}: not a mockgw health answer", file=sys.stderr)
        return 1
    return _write(json.dumps(document) + "\n")


def admin_token(given: str | None, path: Path | None, environ: Mapping[str, str]) -> str | None:
    """The admin token from ``--admin-token``, ``--admin-token-file`` or the environment
    (``MOCKGW_ADMIN_TOKEN``), in that order; None for none. An empty flag or file is a
    mistake (``ConfigError``): it would look like a token and protect nothing. An empty
    variable is no token, as an unset input of a CI system passes one."""
    if given is not None:
        if not given:
            raise ConfigError("--admin-token is empty: give a token, or leave the flag out")
        return given
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--admin-token-file {path}: cannot read it: {exc}") from None
        # One newline, as `echo` and editors leave it; anything else is the token's.
        text = text.removesuffix("\n").removesuffix("\r")
        if not text:
            raise ConfigError(f"--admin-token-file {path}: the file is empty")
        return text
    return environ.get(ENV_TOKEN) or None


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _connection_options(run: argparse.ArgumentParser) -> None:
    """Slow and idle clients: how long a connection may take (docs/ci.md#limits-and-timeouts)."""
    run.add_argument(
        "--header-timeout",
        type=_seconds,
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="SECONDS",
        help="a request's line and headers must arrive within this; else 408 and close "
        f"(default {DEFAULT_HEADER_TIMEOUT:g})",
    )
    run.add_argument(
        "--body-timeout",
        type=_seconds,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help="a request's body must arrive whole within this; else 408 and close "
        f"(default {DEFAULT_BODY_TIMEOUT:g})",
    )
    run.add_argument(
        "--keepalive-timeout",
        type=_seconds,
        default=DEFAULT_KEEPALIVE_TIMEOUT,
        metavar="SECONDS",
        help="close a keep-alive connection idle this long "
        f"(default {DEFAULT_KEEPALIVE_TIMEOUT:g})",
    )


def config_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> ServerConfig:
    if args.no_default_models:
        models = ModelCatalogue(args.model, accept_any=args.any_model)
    else:
        models = ModelCatalogue.default(extra=args.model, accept_any=args.any_model)
    return ServerConfig(
        host=args.host,
        port=args.port,
        scenarios_dirs=tuple(args.scenarios),
        library=args.library,
        scenario=args.scenario,
        watch=args.watch,
        chaos=args.chaos,
        seed=args.seed,
        max_wait_seconds=args.max_wait,
        admin_token=admin_token(
            args.admin_token, args.admin_token_file, os.environ if environ is None else environ
        ),
        allowed_hosts=tuple(args.allow_host),
        journal_size=args.journal_size,
        journal_bytes=args.journal_bytes,
        api_keys=frozenset(args.api_key),
        strict=args.strict,
        profile=args.profile,
        models=models,
        max_body_bytes=args.max_body_bytes,
        # Slow and idle clients (_connection_options).
        header_timeout_seconds=args.header_timeout,
        body_timeout_seconds=args.body_timeout,
        keepalive_timeout_seconds=args.keepalive_timeout,
    )


def main(argv: Sequence[str] | None = None) -> int:  # noqa: C901 (one branch per command)
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        for folder in args.scenarios:
            if not folder.is_dir():
                print(f"mockgw: --scenarios {folder}: not a directory", file=sys.stderr)
                return 2
        if args.watch and not args.scenarios:
            print("mockgw: --watch needs --scenarios DIR to watch", file=sys.stderr)
            return 2
        logging.basicConfig(level=logging.INFO, format="mockgw: %(message)s", stream=sys.stderr)
        try:
            config = config_from_args(args)
            warning = bind_warning(config.host, token=config.admin_token is not None)
            if warning is not None:
                print(warning, file=sys.stderr, flush=True)
            asyncio.run(serve(config, quiet=args.quiet, ready_file=args.ready_file))
        except ScenarioLoadError as exc:
            print(f"mockgw: not starting: invalid scenario files\n{exc}", file=sys.stderr)
            return 2
        except ConfigError as exc:
            print(f"mockgw: not starting: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"mockgw: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "validate":
        return validate(args.paths, as_json=args.json)
    if args.command == "schema":
        return _write(schema_text())
    if args.command == "health":
        return health(args.url, timeout=args.timeout)
    return 2  # pragma: no cover - argparse rejects unknown commands first
