"""The logger aiohttp's connection handler reports to: a client's bad bytes in one line.

aiohttp logs every malformed request (a bad chunk size, Content-Length with
Transfer-Encoding, a NUL in a header) and every body it cannot decode with a full
traceback at ERROR. Those are the client's mistakes, already answered with a 400, and
a fuzzer or a broken client would bury everything else in tracebacks. The runners
pass :data:`protocol_log` to aiohttp (``AppRunner(logger=...)``): such records become
one INFO line; everything else, mockgw's own failures included, keeps its traceback.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http import HttpProcessingError

protocol_log = logging.getLogger("mockgw.http")


def _reason(exc: BaseException) -> str:
    # HttpProcessingError's str() is "400, message:\n  <reason>"; its message is the reason.
    cause = exc if isinstance(exc, HttpProcessingError) else exc.__cause__
    text = cause.message if isinstance(cause, HttpProcessingError) else str(exc)
    return " ".join(str(text).split())


class ClientErrorsInOneLine(logging.Filter):
    """Turn a traceback caused by the client's bytes into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | web.RequestPayloadError):
            what = "malformed request" if isinstance(exc, HttpProcessingError) else "bad body"
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "-"
            record.msg, record.args = "%s from %s: %s", (what, remote, _reason(exc))
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


protocol_log.addFilter(ClientErrorsInOneLine())
