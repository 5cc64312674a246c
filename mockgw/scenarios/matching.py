"""Conditions compiled into criteria that explain themselves.

A rule's ``when`` becomes a flat tuple of :class:`Criterion`; evaluating one yields a
:class:`Check` that says what was required and, when it fails, what was found. The
near-miss report for an unmatched request is a rendering of those checks, not a
second run of the matching logic.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from multidict import CIMultiDictProxy

from mockgw.core.chat import ChatRequest, ToolResult
from mockgw.core.keys import is_secret_header, redact
from mockgw.core.plan import Check
from mockgw.scenarios.model import (
    Condition,
    PathMatch,
    RangeMatch,
    Text,
    TextMatch,
    ToolResultMatch,
)
from mockgw.scenarios.regex import compile_regex
from mockgw.scenarios.templates import dig


@dataclass
class MatchContext:  # no slots: cached_property needs an instance __dict__
    """Everything a condition may look at, computed lazily once per request."""

    request: ChatRequest
    body: Mapping[str, Any]
    headers: Mapping[str, str] | CIMultiDictProxy[str]
    counters: Mapping[str, int] = field(default_factory=dict)

    @cached_property
    def last_user(self) -> str:
        return self.request.last_user_text

    @cached_property
    def tool_names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.request.tools)

    @cached_property
    def last_results(self) -> tuple[ToolResult, ...]:
        """Tool results carried by the last user turn (the client answering a call)."""
        for message in reversed(self.request.messages):
            if message.role == "user":
                return message.tool_results
        return ()

    @cached_property
    def turn(self) -> int:
        return sum(1 for m in self.request.messages if m.role == "user" and m.text)

    @cached_property
    def all_texts(self) -> tuple[str, ...]:
        texts = [self.request.system] if self.request.system else []
        for message in self.request.messages:
            texts.append(message.text)
            texts.extend(r.content for r in message.tool_results)
        return tuple(t for t in texts if t)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One requirement: ``holds`` is the fast path used for matching; ``found`` says
    what the request had instead and is only called to explain a miss."""

    description: str
    holds: Callable[[MatchContext], bool]
    found: Callable[[MatchContext], str]

    def check(self, ctx: MatchContext) -> Check:
        passed = self.holds(ctx)
        return Check(self.description, passed, "" if passed else self.found(ctx))


def _short(value: Any, limit: int = 60) -> str:
    # Strings are quoted, other JSON values are not, so 0 and '0' read differently.
    if not isinstance(value, str):
        text = json.dumps(value, default=str)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    text = value.replace("\n", " ")
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _plain(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _value_criterion(
    description: str,
    read: Callable[[MatchContext], Any],
    predicate: Callable[[Any], bool],
    show: Callable[[Any], str] = _short,
) -> Criterion:
    def holds(ctx: MatchContext) -> bool:
        return predicate(read(ctx))

    return Criterion(description, holds, lambda ctx: f"found {show(read(ctx))}")


def text_predicate(spec: Text) -> tuple[str, Callable[[str], bool]]:
    """A description and a test for one text matcher."""
    if isinstance(spec, str):
        return f"equals {_short(spec)}", lambda value: value == spec
    fold = spec.ignore_case
    suffix = " (ignoring case)" if fold else ""
    if spec.equals is not None:
        want = spec.equals.casefold() if fold else spec.equals
        return f"equals {_short(spec.equals)}{suffix}", (
            lambda v: (v.casefold() if fold else v) == want
        )
    if spec.contains is not None:
        part = spec.contains.casefold() if fold else spec.contains
        return f"contains {_short(spec.contains)}{suffix}", (
            lambda v: part in (v.casefold() if fold else v)
        )
    if spec.glob is not None:
        pattern = re.compile(fnmatch.translate(spec.glob), re.IGNORECASE if fold else 0)
        return f"matches glob {_short(spec.glob)}{suffix}", lambda v: bool(pattern.match(v))
    assert spec.regex is not None  # the model guarantees exactly one operator
    regex = compile_regex(spec.regex, ignore_case=fold)  # linear time: RE2
    return f"matches /{spec.regex}/{suffix}", lambda v: bool(regex.search(v))


def _text_criterion(label: str, spec: Text, read: Callable[[MatchContext], str]) -> Criterion:
    description, predicate = text_predicate(spec)
    return _value_criterion(f"{label} {description}", read, predicate)


def _range_predicate(spec: int | RangeMatch) -> tuple[str, Callable[[int], bool]]:
    if isinstance(spec, int):
        return f"is {spec}", lambda v: v == spec
    equals, low, high = spec.equals, spec.min, spec.max
    parts = [
        *([f"is {equals}"] if equals is not None else []),
        *([f">= {low}"] if low is not None else []),
        *([f"<= {high}"] if high is not None else []),
    ]

    def test(value: int) -> bool:
        return (
            (equals is None or value == equals)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )

    return " and ".join(parts) or "is any number", test


def _number_criterion(
    label: str, spec: int | RangeMatch, read: Callable[[MatchContext], int]
) -> Criterion:
    description, predicate = _range_predicate(spec)
    return _value_criterion(f"{label} {description}", read, predicate, _plain)


def _header_criterion(name: str, spec: Text) -> Criterion:
    description, predicate = text_predicate(spec)
    # A near miss is sent to the client and kept in the journal: never quote a credential.
    show = _redacted if is_secret_header(name) else _short
    return _value_criterion(f"header {name} {description}", _header_reader(name), predicate, show)


def _redacted(value: Any) -> str:
    return repr(redact(str(value))) if value else "''"


def _header_reader(name: str) -> Callable[[MatchContext], str]:
    return lambda ctx: _header_value(ctx, name)


def _metadata_reader(key: str) -> Callable[[MatchContext], str]:
    return lambda ctx: str(ctx.request.metadata.get(key, ""))


def _counter_reader(name: str) -> Callable[[MatchContext], int]:
    return lambda ctx: ctx.counters.get(name, 0)


def _result_names(ctx: MatchContext) -> str:
    found = [r.name or r.tool_call_id for r in ctx.last_results]
    return f"found {', '.join(found)}" if found else "found none"


def _tool_result_criterion(spec: str | ToolResultMatch) -> Criterion:
    if spec == "absent":
        return Criterion("no tool result", lambda ctx: not ctx.last_results, _result_names)
    if spec == "present":
        return Criterion("a tool result", lambda ctx: bool(ctx.last_results), _result_names)
    if isinstance(spec, str):
        return Criterion(
            f"a result of tool '{spec}'",
            lambda ctx: any(r.name == spec for r in ctx.last_results),
            _result_names,
        )
    wanted = []
    if spec.name is not None:
        wanted.append(f"of tool '{spec.name}'")
    if spec.contains is not None:
        wanted.append(f"containing {_short(spec.contains)}")
    if spec.is_error is not None:
        wanted.append("that is an error" if spec.is_error else "that is not an error")

    def fits(result: ToolResult) -> bool:
        return (
            (spec.name is None or result.name == spec.name)
            and (spec.contains is None or spec.contains in result.content)
            and (spec.is_error is None or result.is_error == spec.is_error)
        )

    return Criterion(
        "a tool result " + " ".join(wanted),
        lambda ctx: any(fits(r) for r in ctx.last_results),
        _result_names,
    )


def _path_criteria(spec: PathMatch) -> list[Criterion]:
    """One criterion per operator given: ``{contains: a, regex: b}`` needs both to hold."""
    path = tuple(spec.path.split("."))
    label = f"body.{spec.path}"

    def read(ctx: MatchContext) -> Any:
        return dig(ctx.body, path)

    def read_text(ctx: MatchContext) -> str:
        # An absent field has no text: it must not match ``contains: "nu"`` as "null".
        value = read(ctx)
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    out: list[Criterion] = []
    if spec.exists is not None:
        want = spec.exists
        out.append(
            _value_criterion(
                f"{label} {'exists' if want else 'is absent'}",
                read,
                lambda value: (value is not None) == want,
            )
        )
    # A TextMatch takes exactly one operator, so contains and regex are built separately.
    if spec.contains is not None:
        out.append(_text_criterion(label, TextMatch(contains=spec.contains), read_text))
    if spec.regex is not None:
        out.append(_text_criterion(label, TextMatch(regex=spec.regex), read_text))
    if "equals" in spec.model_fields_set:
        expected = spec.equals
        out.append(
            _value_criterion(
                f"{label} equals {_short(expected)}", read, lambda v: same_json(v, expected)
            )
        )
    return out


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: unlike Python's, ``false`` is not ``0`` and ``1`` is not ``true``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            same_json(a, b) for a, b in zip(left, right, strict=True)
        )
    return bool(left == right)


def _header_value(ctx: MatchContext, name: str) -> str:
    value = ctx.headers.get(name)
    return value if isinstance(value, str) else ""


def _constant_criterion(
    description: str, read: Callable[[MatchContext], Any], expected: Any
) -> Criterion:
    return _value_criterion(description, read, lambda value: value == expected, _plain)


def compile_condition(condition: Condition | None) -> tuple[Criterion, ...]:
    """Flatten a condition into criteria; ``any``/``not`` become single criteria.

    Criteria come in the order of :data:`CONDITION_KEYS`, the model's field order, so
    a near-miss report lists its checks as the scenario author wrote the keys.
    """
    if condition is None:
        return ()
    return tuple(
        criterion
        for key, compile_key in CONDITION_KEYS.items()
        if (spec := getattr(condition, key)) is not None
        for criterion in compile_key(spec)
    )


# One small compiler per condition key, each turning the key's value into criteria: a
# new key is one more entry (a test checks every field of Condition has one).
KeyCompiler = Callable[[Any], Iterable[Criterion]]


def _api(api: str) -> Iterable[Criterion]:
    return [_constant_criterion(f"api is {api}", lambda ctx: ctx.request.api, api)]


def _model(spec: Text) -> Iterable[Criterion]:
    return [_text_criterion("model", spec, lambda ctx: ctx.request.model)]


def _stream(stream: bool) -> Iterable[Criterion]:
    return [
        _constant_criterion(f"stream is {_plain(stream)}", lambda ctx: ctx.request.stream, stream)
    ]


def _last_user(spec: Text) -> Iterable[Criterion]:
    return [_text_criterion("last user message", spec, lambda ctx: ctx.last_user)]


def _system(spec: Text) -> Iterable[Criterion]:
    return [_text_criterion("system prompt", spec, lambda ctx: ctx.request.system)]


def _any_message(spec: Text) -> Iterable[Criterion]:
    description, predicate = text_predicate(spec)
    return [
        Criterion(
            f"some message {description}",
            lambda ctx: any(predicate(t) for t in ctx.all_texts),
            lambda ctx: f"none of {len(ctx.all_texts)} did",
        )
    ]


def _tools(tools: list[str]) -> Iterable[Criterion]:
    required = frozenset(tools)
    return [
        Criterion(
            f"tools offered include {', '.join(sorted(required))}",
            lambda ctx: required <= ctx.tool_names,
            lambda ctx: f"offered {', '.join(sorted(ctx.tool_names)) or 'no tools'}",
        )
    ]


def _tool_choice(mode: str) -> Iterable[Criterion]:
    return [
        _constant_criterion(
            f"tool_choice is {mode}", lambda ctx: ctx.request.tool_choice.mode, mode
        )
    ]


def _tool_result(spec: str | ToolResultMatch) -> Iterable[Criterion]:
    return [_tool_result_criterion(spec)]


def _turn(spec: int | RangeMatch) -> Iterable[Criterion]:
    return [_number_criterion("turn", spec, lambda ctx: ctx.turn)]


def _headers(specs: dict[str, Text]) -> Iterable[Criterion]:
    return [_header_criterion(name, spec) for name, spec in specs.items()]


def _metadata(specs: dict[str, Text]) -> Iterable[Criterion]:
    return [
        _text_criterion(f"metadata.{key}", spec, _metadata_reader(key))
        for key, spec in specs.items()
    ]


def _response_format(kind: str) -> Iterable[Criterion]:
    return [
        _constant_criterion(
            f"response_format is {kind}", lambda ctx: ctx.request.response_format.kind, kind
        )
    ]


def _body(specs: list[PathMatch]) -> Iterable[Criterion]:
    return [criterion for spec in specs for criterion in _path_criteria(spec)]


def _counter(specs: dict[str, int | RangeMatch]) -> Iterable[Criterion]:
    return [
        _number_criterion(f"counter {name}", spec, _counter_reader(name))
        for name, spec in specs.items()
    ]


def _all(conditions: list[Condition]) -> Iterable[Criterion]:
    # "all" is just more criteria; flattening keeps every check visible in reports.
    return [criterion for sub in conditions for criterion in compile_condition(sub)]


def _any(conditions: list[Condition]) -> Iterable[Criterion]:
    return [_any_of([compile_condition(sub) for sub in conditions])]


def _not(condition: Condition) -> Iterable[Criterion]:
    inner = compile_condition(condition)
    return [
        Criterion(
            f"not ({_describe(inner)})",
            lambda ctx: not all(cr.holds(ctx) for cr in inner),
            lambda _: "it held",
        )
    ]


CONDITION_KEYS: Mapping[str, KeyCompiler] = {
    "api": _api,
    "model": _model,
    "stream": _stream,
    "last_user": _last_user,
    "system": _system,
    "any_message": _any_message,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "tool_result": _tool_result,
    "turn": _turn,
    "headers": _headers,
    "metadata": _metadata,
    "response_format": _response_format,
    "body": _body,
    "counter": _counter,
    "all": _all,
    "any": _any,
    "not_": _not,
}


def _describe(criteria: tuple[Criterion, ...]) -> str:
    return " and ".join(c.description for c in criteria) or "anything"


def _any_of(groups: list[tuple[Criterion, ...]]) -> Criterion:
    descriptions = [f"({_describe(g)})" for g in groups]
    return Criterion(
        f"any of {' | '.join(descriptions)}",
        lambda ctx: any(all(c.holds(ctx) for c in group) for group in groups),
        lambda _: "none held",
    )
