"""``python -m bench``: mockgw against a bare aiohttp baseline, same load, same run.

Not a test: it asserts nothing and always exits 0 once it has printed its table;
the targets are printed next to the measured ratios for a human to read.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

import aiohttp

from bench import load
from bench.importtime import print_import_figure
from bench.matcher import print_matcher_figure
from bench.procs import ServerProcess
from bench.report import Measured, print_header, print_profile, print_report

WORKERS = 16
CASES = ("non-stream", "stream")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--quick", action="store_true", help="1 s per case, 0.5 s warm-up")
    parser.add_argument("--workers", type=int, default=WORKERS, help="concurrent requests")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the sweep, keep each cell's best round"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run mockgw under cProfile (slows it down) and print where its time goes",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 1.0, 0.5
    if args.seconds <= 0 or args.warmup < 0 or args.workers < 1 or args.rounds < 1:
        parser.error("--seconds must be > 0, --warmup >= 0, --workers and --rounds >= 1")
    return args


async def capture(base_url: str) -> tuple[bytes, bytes]:
    """mockgw's own answers to the two benchmark requests, served back by the baseline.

    Same bytes means same sizes and the same number of ``data:`` events, so the
    ratio measures mockgw's work and nothing else.
    """
    async with aiohttp.ClientSession() as session:
        bodies: list[bytes] = []
        for stream in (False, True):
            async with session.post(
                base_url + load.PATH, data=load.request_body(stream=stream), headers=load.HEADERS
            ) as response:
                payload = await response.read()
                if response.status != 200:
                    raise RuntimeError(
                        f"mockgw answered the benchmark request with {response.status}: "
                        f"{payload[:500]!r}"
                    )
                bodies.append(payload)
    return bodies[0], bodies[1]


async def measure_cell(
    session: aiohttp.ClientSession, server: ServerProcess, case: str, args: argparse.Namespace
) -> Measured:
    """Warm up, then measure one server on one case, metering both sides' CPU."""
    stream = case == "stream"
    if args.warmup:
        await load.run_phase(
            session, server.url, stream=stream, workers=args.workers, seconds=args.warmup
        )
    server_before = server.cpu_seconds()
    client_before = time.process_time()
    result = await load.run_phase(
        session, server.url, stream=stream, workers=args.workers, seconds=args.seconds
    )
    server_after = server.cpu_seconds()
    client_cpu = (time.process_time() - client_before) / result.seconds
    server_cpu = (
        (server_after - server_before) / result.seconds
        if server_before is not None and server_after is not None
        else None
    )
    return Measured(case, server.name, result, server_cpu, client_cpu)


async def measure(servers: list[ServerProcess], args: argparse.Namespace) -> list[Measured]:
    """Every (case, server) cell, keeping the best of ``--rounds`` for each.

    Servers alternate within a case and rounds repeat the whole sweep, so drift and
    other processes on a small machine hit both sides of the ratio alike; the best
    round is the one least disturbed. Errors are summed over all rounds.
    """
    best: dict[tuple[str, str], Measured] = {}
    async with load.new_session(args.workers) as session:
        for round_no in range(1, args.rounds + 1):
            for case in CASES:
                for server in servers:
                    server.check_alive()
                    print(f"  round {round_no} {case:<10} {server.name:<8}", end="", flush=True)
                    cell = await measure_cell(session, server, case, args)
                    print(f" {cell.result.requests_per_second:8.0f} req/s", flush=True)
                    kept = best.setdefault((case, server.name), cell)
                    if cell is not kept:
                        errors = kept.result.errors + cell.result.errors
                        if cell.result.requests_per_second > kept.result.requests_per_second:
                            best[case, server.name] = kept = cell
                        kept.result.errors = errors
    return [best[case, server.name] for case in CASES for server in servers]


def _terminate(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 (a signal handler)
    # Turn SIGTERM into an exception so the ``finally`` below stops the servers.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C must reach the ``finally`` even when a shell started us with SIGINT
    # ignored (background jobs); SIGTERM is turned into an exit for the same reason.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="mockgw-bench-") as tmp:
        work = Path(tmp)
        profile = work / "mockgw.prof"
        mockgw_argv = [python, "-m", "mockgw", "serve", "--port", "0", "--quiet"]
        if args.profile:
            mockgw_argv[1:1] = ["-m", "cProfile", "-o", str(profile)]
        mockgw = ServerProcess("mockgw", mockgw_argv, work / "mockgw.log")
        baseline = ServerProcess(
            "baseline",
            [python, "-m", "bench.baseline", str(work / "reply.json"), str(work / "reply.sse")],
            work / "baseline.log",
            cwd=Path(__file__).resolve().parents[1],  # where ``bench`` is importable
        )
        try:
            mockgw.start()
            completion, stream = asyncio.run(capture(mockgw.url))
            (work / "reply.json").write_bytes(completion)
            (work / "reply.sse").write_bytes(stream)
            baseline.start()
            print_header(args, completion, stream)
            cells = asyncio.run(measure([mockgw, baseline], args))
        except KeyboardInterrupt:
            print("\ninterrupted; stopping servers", file=sys.stderr)
            return 130
        except RuntimeError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            baseline.stop()
            mockgw.stop()  # SIGTERM: a clean exit, so cProfile writes its file
        print_report(cells)
        print_matcher_figure(min(args.seconds, 2.0))
        print_import_figure()
        if args.profile:
            print_profile(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
