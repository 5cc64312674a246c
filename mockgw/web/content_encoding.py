"""Decoding a request body's ``Content-Encoding``, within the size limit.

mockgw's runners tell aiohttp not to decompress (``auto_decompress=False``): aiohttp
would do it while parsing, where a corrupt body, or a ``br`` or ``zstd`` one without
their optional libraries, fails before any handler runs and gets aiohttp's text/plain
400. Decoding here makes every such failure a :class:`~mockgw.errors.BodyProblem`, which
the codec words as its provider's 400 (or 413), and bounds the decoded size, so a small
compressed body cannot expand past the limit.
"""

from __future__ import annotations

import zlib

from mockgw.errors import BodyProblem

# wbits: zlib's container formats (RFC 1950 for "deflate", RFC 1952 for "gzip"); some
# clients send "deflate" as the raw stream without the zlib header, which servers accept.
_GZIP, _ZLIB, _RAW = zlib.MAX_WBITS | 16, zlib.MAX_WBITS, -zlib.MAX_WBITS
_WBITS = {"gzip": (_GZIP,), "x-gzip": (_GZIP,), "deflate": (_ZLIB, _RAW)}


def decode(raw: bytes, header: str | None, *, limit: int) -> bytes:
    """``raw`` with the codings of a ``Content-Encoding`` header undone, last applied first."""
    if not header:
        return raw
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        wbits = _WBITS.get(coding)
        if wbits is None:
            supported = ", ".join(sorted({*_WBITS, "identity"}))
            raise BodyProblem(
                "undecodable", f"Content-Encoding '{coding}' is not supported (use {supported})"
            )
        raw = _inflate(raw, coding, wbits, limit)
    return raw


def _inflate(data: bytes, coding: str, formats: tuple[int, ...], limit: int) -> bytes:
    for wbits in formats:
        try:
            return _members(data, wbits, limit)
        except zlib.error:
            continue
    raise BodyProblem("undecodable", f"the body is not valid {coding} data")


def _members(data: bytes, wbits: int, limit: int) -> bytes:
    """Every member of ``data`` (gzip allows several, concatenated), inflated."""
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(wbits)
        # max_length: never hold more than the limit, whatever the ratio.
        out += inflater.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            raise BodyProblem(
                "too_large", f"more than {limit} bytes once decompressed", after_decoding=True
            )
        if inflater.unconsumed_tail:  # stopped by max_length with output still to come
            raise BodyProblem(
                "too_large", f"more than {limit} bytes once decompressed", after_decoding=True
            )
        if not inflater.eof:
            raise zlib.error("the compressed data ends early")
        data = inflater.unused_data
        if not data or wbits != _GZIP:
            if data:
                raise zlib.error("data after the end of the compressed stream")
            return bytes(out)
