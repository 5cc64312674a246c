"""Scenario regexes: the one place they are compiled, by RE2, in time linear in the text.

Python's ``re`` backtracks: ``^(a+)+$`` against 25 a's and a "!" took 1.1 s, on the
event loop, so one rule stalled every client. RE2 (google-re2) never backtracks, so no
pattern can do that; the price is the constructs that need backtracking (backreferences,
lookaround, atomic groups, possessive quantifiers), which it refuses at compile time.
They are refused at load time here, with what to write instead; docs/scenarios.md lists
them. A time limit on ``re`` was the alternative, but Python cannot interrupt a running
``re`` search: it would need a process per match.
"""

from __future__ import annotations

import functools
from typing import Protocol

import re2

from mockgw.errors import MockgwError


class Pattern(Protocol):
    """What matching needs of a compiled regex."""

    def search(self, text: str) -> object | None: ...


class RegexError(MockgwError, ValueError):
    """A pattern RE2 cannot run, worded for a scenario author: what, and what instead.

    A ValueError too, so that pydantic reports it at the pattern's file and line."""


# RE2's message -> the construct, and what to write instead. Checked in this order.
_UNSUPPORTED = (
    *(
        (
            f"invalid escape sequence: \\{digit}",
            "a backreference (\\1, \\2, ...)",
            "the text itself, repeated, or separate conditions under 'all'",
        )
        for digit in "123456789"
    ),
    ("invalid escape sequence: \\Z", "\\Z", "\\z or $ (the end of the text)"),
    ("(?P=", "a named backreference (?P=name)", "the text itself, repeated"),
    ("(?=", "a lookahead (?=...)", "a separate condition under 'all'"),
    ("(?!", "a negative lookahead (?!...)", "a separate condition under 'not'"),
    ("(?<=", "a lookbehind (?<=...)", "a separate condition under 'all'"),
    ("(?<!", "a negative lookbehind (?<!...)", "a separate condition under 'not'"),
    ("(?>", "an atomic group (?>...)", "a plain group (...): RE2 never backtracks anyway"),
    (
        "bad repetition operator",
        "a possessive quantifier (*+, ++, ?+)",
        "the plain quantifier (*, +, ?): RE2 never backtracks anyway",
    ),
)


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr itself
    return options


@functools.lru_cache(maxsize=4096)
def compile_regex(pattern: str, *, ignore_case: bool = False) -> Pattern:
    """``pattern`` compiled for ``search`` (anywhere in the text).

    Cached: the scenario model validates a pattern and matching compiles it again, so
    loading one costs one compilation. Raises :class:`RegexError` saying what is wrong.
    """
    try:
        compiled: Pattern = re2.compile(f"(?i){pattern}" if ignore_case else pattern, _options())
    except re2.error as exc:
        raise RegexError(_explain(pattern, exc)) from None
    return compiled


def _explain(pattern: str, exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    reason = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
    for marker, construct, instead in _UNSUPPORTED:
        if marker in reason or (marker.startswith("(?") and marker in pattern):
            return (
                f"regex {pattern!r} uses {construct}, which mockgw's linear-time regex "
                f"engine (RE2) does not run; instead, use {instead}"
            )
    return f"invalid regex {pattern!r}: {reason}"
