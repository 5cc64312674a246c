"""The connections a server accepts: listening, timeouts, shedding, shutdown.

aiohttp's ``TCPSite`` and ``RequestHandler`` leave a slow or hostile client four ways
to hold a server: nothing limits how long a request's head may take (slowloris), the
keep-alive timeout is about an hour, asyncio's accept loop, out of file descriptors,
logs a traceback for every pending connection and retry (megabytes a second) and frees
none, and a shutdown waits the grace twice over. :class:`Listener` replaces the
runner's sites: it binds and accepts itself, serves each connection with a
:class:`Connection` (aiohttp's handler with a header timeout, and neutral JSON for
aiohttp's own errors), sheds the longest-idle connections when ``accept()`` runs out of
descriptors, and stops within its grace.

Connection relies on a few of aiohttp's private attributes (``_request_count``,
``_messages``, ``_task_handler``), unchanged from aiohttp 3.12 (the floor) to 3.14;
the suite's timeout tests fail if that changes.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.streams import StreamReader

from mockgw.web.protocol_log import protocol_log

log = logging.getLogger("mockgw")

# What every connection handler and the runner are given. mockgw decodes request bodies
# itself (web/content_encoding.py) so that a bad one gets a 4xx; protocol_log folds the
# client's malformed HTTP into one line; the access log is mockgw's own (web/frame.py).
HANDLER_OPTIONS: dict[str, Any] = {
    "logger": protocol_log,
    "auto_decompress": False,
    "access_log": None,
}

# accept() failing with one of these means "out of descriptors or memory", not a bad
# connection: the listening socket stays readable until something is freed.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# At most one warning per this many seconds while accept() keeps failing.
EXHAUSTION_WARNING_INTERVAL = 10.0
# After shedding, descriptors are freed on the loop's next turn: retry soon. With none
# idle to shed, only a timeout or a finished response frees one: retry seldom.
_RETRY_AFTER_SHEDDING = 0.05
_RETRY_WITH_NONE_IDLE = 1.0
# The share of idle connections closed each time accept() runs out (at least one).
_SHED_FRACTION = 0.1
_BACKLOG = 128
# After the grace, aborted handlers get this long to unwind before the app is cleaned up.
_UNWIND_SECONDS = 0.5


def neutral_error(message: str) -> bytes:
    """A JSON error body for an answer given before any API's codec is known."""
    body = {"error": {"message": message, "type": "mockgw_http_error"}}
    return json.dumps(body).encode()


def _raw_response(status: int, message: str) -> bytes:
    body = neutral_error(message)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class Connection(web.RequestHandler):
    """aiohttp's handler of one connection, with a header timeout and JSON errors.

    The header timer runs from the connection's opening, and again from the first byte
    of each later request, until that request's head is parsed. When it fires with part
    of a head received, the client gets a 408; with nothing received, the connection is
    just closed (nginx does the same for a connection that never sent a request).
    """

    def __init__(
        self,
        manager: web.Server,
        *,
        listener: Listener,
        loop: asyncio.AbstractEventLoop,
        header_timeout: float,
        body_timeout: float,
        keepalive_timeout: float,
    ) -> None:
        super().__init__(manager, loop=loop, keepalive_timeout=keepalive_timeout, **HANDLER_OPTIONS)
        self._listener = listener
        self._header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False  # part of a request head has arrived, not yet all of it
        self._heads = 0  # request heads parsed
        self._answered = 0  # responses finished
        self._body: StreamReader | None = None  # the body of the last head parsed
        self._close_after_response = False
        self.idle_since = loop.time()
        self.lost: asyncio.Future[None] = loop.create_future()

    # --- what the listener asks -------------------------------------------------------

    @property
    def answering(self) -> bool:
        """A request's head was parsed and its response has not finished."""
        return self._answered < self._heads

    @property
    def idle(self) -> bool:
        """Open, between requests, with no part of the next one received: safe to drop."""
        return self.transport is not None and not self.answering and not self._partial

    def close_after_response(self) -> None:
        """Close the connection once the current response has gone (a body that timed
        out: what is left of it cannot be told from the next request)."""
        self._close_after_response = True

    def abort(self) -> None:
        """Drop the connection and cancel whatever is answering on it (shutdown)."""
        task = self._task_handler
        if self.transport is not None:
            self.transport.abort()
        if task is not None and not task.done():
            task.cancel()

    # --- aiohttp's hooks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._listener.opened(self)
        self._arm_header_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_header_timer()
        self._listener.closed(self)
        super().connection_lost(exc)
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        # Bytes that arrive while the last request's body is incomplete are body bytes
        # (the body timeout in web/body.py covers them); any others start a new head.
        in_body = self._body is not None and not self._body.is_eof()
        before = self._request_count
        super().data_received(data)
        parsed = self._request_count - before
        if parsed:
            self._heads += parsed
            self._partial = False
            self._cancel_header_timer()
            self._body = self._messages[-1][1] if self._messages else None
        elif data and not in_body:
            self._partial = True
            self._arm_header_timer()

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._answered += 1
            self.idle_since = self._loop.time()
            if self._close_after_response:
                # Skips aiohttp's lingering read of the rest of the body (10 s).
                self.force_close()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's answer to HTTP it cannot parse (and to a handler's crash), as JSON:
        a client parses it like every other mockgw error, not as text/plain."""
        super().handle_error(request, status, exc, message)  # logs it; checks nothing went out
        text = message if message and status < 500 else HTTPStatus(status).phrase
        response = web.Response(
            status=status, body=neutral_error(text), content_type="application/json"
        )
        response.force_close()
        return response

    # --- the header timer -------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        if self._header_timer is None and self._header_timeout > 0:
            self._header_timer = self._loop.call_later(self._header_timeout, self._header_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_late(self) -> None:
        self._header_timer = None
        transport = self.transport
        if transport is None or self.answering:
            return  # a request is being answered: its own limits apply
        if self._partial:
            message = f"the request head did not arrive within {self._header_timeout:g} s"
            transport.write(_raw_response(408, message))
        self.force_close()  # a close, not an abort: the 408 goes out first


class Listener:
    """Listen on ``host:port`` and serve ``app`` there; ``await start()``, ``await close()``.

    The application's own start-up and clean-up run through an ``AppRunner``; its sites
    are replaced by the sockets and accept loop here.
    """

    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        grace: float,
        header_timeout: float,
        body_timeout: float,
        keepalive_timeout: float,
    ) -> None:
        self._host, self._port = host, port
        self.grace = grace
        self._timeouts = {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "keepalive_timeout": keepalive_timeout,
        }
        # The connections are closed here before the runner's clean-up, so its own
        # shutdown wait (which would wait the grace twice over) finds none left.
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, **HANDLER_OPTIONS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: list[socket.socket] = []
        self._connections: dict[Connection, None] = {}  # oldest first
        self._connecting: set[asyncio.Task[None]] = set()
        self._closing = False
        self._last_warning: float | None = None
        self._shed_since_warning = 0
        self._failures_since_warning = 0

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets (one per address ``host`` resolves to)."""
        return tuple(self._sockets)

    @property
    def port(self) -> int:
        """The port listened on: the real one when 0 was asked for."""
        if not self._sockets:
            raise RuntimeError("the server has no listening socket")
        return int(self._sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        """How many connections are open."""
        return len(self._connections)

    async def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        await self._runner.setup()
        try:
            self._sockets = await _bind(loop, self._host, self._port)
        except BaseException:
            await self._runner.cleanup()
            raise
        for sock in self._sockets:
            loop.add_reader(sock.fileno(), self._accept, sock)

    # --- accepting --------------------------------------------------------------------

    def _make_connection(self) -> Connection:
        assert self._loop is not None
        assert self._runner.server is not None
        return Connection(self._runner.server, listener=self, loop=self._loop, **self._timeouts)

    def _accept(self, sock: socket.socket) -> None:
        loop = self._loop
        assert loop is not None
        for _ in range(_BACKLOG):
            try:
                conn, _address = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # none left waiting
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES:
                    self._out_of_descriptors(sock, exc)
                else:
                    log.warning("accept() failed: %s", exc)
                return
            conn.setblocking(False)
            task = loop.create_task(self._connect(conn))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _connect(self, conn: socket.socket) -> None:
        assert self._loop is not None
        try:
            await self._loop.connect_accepted_socket(self._make_connection, conn)
        except (OSError, asyncio.CancelledError):
            conn.close()  # the client left during the set-up, or we are stopping

    def _out_of_descriptors(self, sock: socket.socket, exc: OSError) -> None:
        """Stop accepting for a moment, free descriptors, and say so now and then."""
        loop = self._loop
        assert loop is not None
        loop.remove_reader(sock.fileno())
        shed = self.shed_idle()
        self._shed_since_warning += shed
        self._failures_since_warning += 1
        now = loop.time()
        if self._last_warning is None or now - self._last_warning >= EXHAUSTION_WARNING_INTERVAL:
            log.warning(
                "out of file descriptors accepting connections (%s): %d open; closed %d idle "
                "ones after %d failed accept(s) in the last %g s (one line per %g s at most)",
                exc.strerror or exc,
                len(self._connections),
                self._shed_since_warning,
                self._failures_since_warning,
                EXHAUSTION_WARNING_INTERVAL,
                EXHAUSTION_WARNING_INTERVAL,
            )
            self._last_warning = now
            self._shed_since_warning = self._failures_since_warning = 0
        delay = _RETRY_AFTER_SHEDDING if shed else _RETRY_WITH_NONE_IDLE
        loop.call_later(delay, self._resume, sock)

    def _resume(self, sock: socket.socket) -> None:
        if not self._closing and sock.fileno() >= 0 and self._loop is not None:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def shed_idle(self) -> int:
        """Close the longest-idle connections (a tenth of the idle ones, at least one);
        how many were closed."""
        idle = sorted((c for c in self._connections if c.idle), key=lambda c: c.idle_since)
        victims = idle[: max(1, int(len(idle) * _SHED_FRACTION))]
        for connection in victims:
            connection.force_close()
        return len(victims)

    def opened(self, connection: Connection) -> None:
        self._connections[connection] = None

    def closed(self, connection: Connection) -> None:
        self._connections.pop(connection, None)

    # --- stopping ---------------------------------------------------------------------

    async def close(self) -> None:
        """Stop listening; let responses in progress finish within the grace, then drop
        every connection left and clean the application up."""
        self._closing = True
        loop = self._loop
        if loop is not None:
            for sock in self._sockets:
                if sock.fileno() >= 0:
                    loop.remove_reader(sock.fileno())
                sock.close()
        for task in list(self._connecting):
            task.cancel()
        answering = []
        for connection in list(self._connections):
            if connection.answering:
                connection.close()  # after this response, no other on it
                answering.append(connection.lost)
            else:
                connection.force_close()
        if answering:
            await asyncio.wait(answering, timeout=self.grace)
        left = list(self._connections)
        for connection in left:
            connection.abort()
        if left:
            await asyncio.wait([c.lost for c in left], timeout=_UNWIND_SECONDS)
        await self._runner.cleanup()


async def _bind(loop: asyncio.AbstractEventLoop, host: str, port: int) -> list[socket.socket]:
    """A listening socket for each address ``host`` resolves to, as asyncio binds them."""
    infos = await loop.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # Each family gets its own socket, as asyncio's create_server does.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise OSError(exc.errno, f"cannot bind {address}: {exc.strerror}") from None
            sock.listen(_BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets
