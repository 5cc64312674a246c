"""``{{ path }}`` templates in scenario replies.

Deliberately tiny: a template is literal text with ``{{ dotted.path }}`` holes and
an optional ``| default('x')``. Unknown roots and malformed holes are load-time
errors, so a typo fails when the file is loaded, not as a blank in a reply.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.errors import MockgwError

# What a template may read; each root is documented in docs/scenarios.md.
ROOTS: dict[str, str] = {
    "last_user": "text of the last user message",
    "system": "the system prompt",
    "model": "the requested model id",
    "api": "'openai' or 'anthropic'",
    "turn": "number of user turns so far",
    "count": "how many times this rule has fired in the session, this time included",
    "state": "the scenario state before this request",
    "counter": "session counters: {{ counter.NAME }}",
    "header": "request headers: {{ header.x-team }}",
    "metadata": "request metadata: {{ metadata.user_id }}",
    "tool_result": "the last tool result: .name, .content, .is_error, or a field of its JSON",
    "request": "the raw request body: {{ request.temperature }}",
}

_HOLE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_EXPR = re.compile(
    r"^\s*(?P<path>[A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*"
    r"(?:\|\s*default\(\s*(?P<quote>['\"])(?P<default>.*?)(?P=quote)\s*\)\s*)?$"
)


class TemplateError(MockgwError, ValueError):
    """A template that cannot compile; the message says where and why."""


@dataclass(frozen=True, slots=True)
class _Hole:
    path: tuple[str, ...]
    default: str | None


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[str | _Hole, ...]

    @property
    def is_literal(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    def render(self, lookup: Callable[[tuple[str, ...]], Any]) -> tuple[str, list[str]]:
        """Render with ``lookup``; returns the text and the paths that had no value."""
        out: list[str] = []
        missing: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = lookup(part.path)
            if value is None:
                if part.default is None:
                    missing.append(".".join(part.path))
                out.append(part.default or "")
            elif isinstance(value, (dict, list)):
                out.append(json.dumps(value))
            elif isinstance(value, bool):
                out.append("true" if value else "false")
            else:
                out.append(str(value))
        return "".join(out), missing


def compile_template(text: str) -> Template:
    parts: list[str | _Hole] = []
    position = 0
    for match in _HOLE.finditer(text):
        parts.append(text[position : match.start()])
        expr = _EXPR.match(match[1])
        if expr is None:
            raise TemplateError(
                f"cannot read template hole {match[0]!r}: write {{{{ path }}}} or "
                "{{ path | default('text') }}"
            )
        path = tuple(expr["path"].split("."))
        if path[0] not in ROOTS:
            near = difflib.get_close_matches(path[0], ROOTS, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise TemplateError(
                f"unknown template value '{path[0]}'{hint}; valid: {', '.join(ROOTS)}"
            )
        parts.append(_Hole(path, expr["default"]))
        position = match.end()
    rest = text[position:]
    if "{{" in rest or "}}" in rest:
        raise TemplateError("unbalanced '{{' / '}}' in template")
    parts.append(rest)
    return Template(tuple(p for p in parts if p != ""))


def dig(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path`` through dicts (keys) and lists (indices); None when absent."""
    for key in path:
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.lstrip("-").isdigit():
            index = int(key)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def string_leaves(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string inside nested dicts and lists, with its path (templates live there)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from string_leaves(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_leaves(item, (*path, index))


def map_strings(value: Any, render: Callable[[str], str]) -> Any:
    """``value`` with every nested string passed through ``render``."""
    if isinstance(value, str):
        return render(value)
    if isinstance(value, Mapping):
        return {key: map_strings(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [map_strings(item, render) for item in value]
    return value
