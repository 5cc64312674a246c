"""The ``mockgw`` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from mockgw._version import __version__
from mockgw.catalogue import ModelCatalogue
from mockgw.config import DEFAULT_MAX_BODY_BYTES, ServerConfig
from mockgw.server import serve


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
        "--scenarios", type=Path, default=None, metavar="DIR", help="directory of scenario files"
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
        "--quiet", action="store_true", help="print only the 'mockgw listening on' line"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    if args.no_default_models:
        models = ModelCatalogue(args.model, accept_any=args.any_model)
    else:
        models = ModelCatalogue.default(extra=args.model, accept_any=args.any_model)
    return ServerConfig(
        host=args.host,
        port=args.port,
        scenarios_dir=args.scenarios,
        api_keys=frozenset(args.api_key),
        strict=args.strict,
        models=models,
        max_body_bytes=args.max_body_bytes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        if args.scenarios is not None and not args.scenarios.is_dir():
            print(f"mockgw: --scenarios {args.scenarios}: not a directory", file=sys.stderr)
            return 2
        try:
            asyncio.run(serve(config_from_args(args), quiet=args.quiet))
        except OSError as exc:
            print(f"mockgw: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands first
