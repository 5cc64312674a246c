"""Byte sizes as people write them (``64MiB``, ``512k``, ``1048576``), for options and ini."""

from __future__ import annotations

import re

# Binary multiples throughout: "64M" meaning 64 MiB is what a memory budget means.
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
VALID = "a whole number of bytes, or one with a unit: 512KiB, 64MiB, 1GiB (or 512k, 64M, 1G)"


def parse_size(text: str) -> int:
    """``text`` in bytes; ValueError saying what is valid when it is not a size."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size; valid values are {VALID}")
    return int(match[1]) * _UNITS[match[2].lower()]


def byte_size(text: str) -> int:
    """``parse_size`` for argparse: its message becomes the usage error."""
    import argparse  # only the CLI needs it

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
