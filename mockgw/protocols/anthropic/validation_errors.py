"""Turn pydantic validation results into the Anthropic API's error wording.

The real API is itself pydantic-based: it answers with one ``<dotted path>: <pydantic
message>`` line, where the path names union members by their tag
(``messages.0.content.0.image.source.base64.media_type``). This module renders
pydantic locations in that syntax using the tag prefixes described in
:mod:`.schema`, rewrites the few messages that would otherwise leak pydantic
internals (class names, callable discriminator names), and lists unknown fields that
``extra="allow"`` models collected, with paths in the same syntax.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel, Discriminator, ValidationError
from pydantic_core import ErrorDetails

from mockgw.errors import ApiError

from .schema import TAG_EXPANSIONS, TypeTagger

__all__ = ["api_error_from_validation", "collect_unknown_fields", "invalid_request", "join_path"]

_OBJECT_EXPECTED = "Input should be a valid dictionary or object to extract fields from"
_EXPECTED_TAG = re.compile(r"'([=~#])([^']*)'")


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)


def join_path(path: Sequence[str | int], message: str) -> str:
    """``("messages", 0, "role"), "x"`` -> ``"messages.0.role: x"``; a bare message at the root."""
    return f"{'.'.join(str(p) for p in path)}: {message}" if path else message


def _render_loc(loc: tuple[str | int, ...], body: Any) -> list[str | int]:
    """Render a pydantic location, walking ``body`` alongside to resolve ``~family`` tags."""
    parts: list[str | int] = []
    node: Any = body
    for seg in loc:
        if isinstance(seg, str) and seg[:1] in "=~#":
            if seg[0] == "=":
                parts.append(seg[1:])
            elif seg[0] == "~":
                kind = node.get("type") if isinstance(node, dict) else None
                parts.append(kind if isinstance(kind, str) else seg[1:])
            continue  # a tag is not a key: the node stays the same
        parts.append(seg)
        if isinstance(node, dict):
            node = node.get(seg) if isinstance(seg, str) else None
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
        else:
            node = None
    return parts


def _message(error: ErrorDetails, path: list[str | int]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "too_short" and path == ["messages"]:
        return "at least one message is required"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))[1:]
        names: list[str] = []
        for prefix, name in _EXPECTED_TAG.findall(str(ctx.get("expected_tags", ""))):
            names.extend(TAG_EXPANSIONS.get(name, (name,)) if prefix == "~" else (name,))
        expected = ", ".join(f"'{name}'" for name in names)
        return (
            f"Input tag '{tag}' found using 'type' does not match any of the "
            f"expected tags: {expected}"
        )
    if kind == "union_tag_not_found":
        if isinstance(error.get("input"), dict):
            return "Unable to extract tag using discriminator 'type'"
        return _OBJECT_EXPECTED
    if kind in ("model_type", "model_attributes_type"):
        # pydantic names the class ("... instance of TextBlock"); the API does not.
        return _OBJECT_EXPECTED
    return error["msg"]


def api_error_from_validation(exc: ValidationError, body: Any) -> ApiError:
    """The 400 the real API would send for the first problem pydantic found.

    The API reports a single problem; pydantic lists errors in field order, so the
    first one is the most natural pick. Our unions are discriminated, so no error is
    ever duplicated across union branches and no ranking between them is needed.
    """
    errors = exc.errors(include_url=False)
    if not errors:  # defensive: pydantic always reports at least one
        return invalid_request("Invalid request body")
    first = errors[0]
    path = _render_loc(tuple(first["loc"]), body)
    return invalid_request(join_path(path, _message(first, path)))


# --- unknown fields --------------------------------------------------------------------


_WalkPlan = tuple[tuple[str, str, bool], ...]  # (attribute, key in the body, is-tagged)
_plans: dict[type[BaseModel], _WalkPlan] = {}


def _scan(annotation: Any) -> tuple[bool, bool]:
    """Does ``annotation`` (recursively) hold models, and is it a type-tagged union?"""
    holds_models = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    tagged = False
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Discriminator) and isinstance(meta.discriminator, TypeTagger):
            tagged = True
    for arg in typing.get_args(annotation):
        sub_models, sub_tagged = _scan(arg)
        holds_models = holds_models or sub_models
        tagged = tagged or sub_tagged
    return holds_models, tagged


def _plan(cls: type[BaseModel]) -> _WalkPlan:
    """Which fields of ``cls`` can contain models, computed once per class."""
    plan = _plans.get(cls)
    if plan is None:
        steps: list[tuple[str, str, bool]] = []
        for name, info in cls.model_fields.items():
            holds, tagged = _scan(info.annotation)
            for meta in info.metadata:
                if isinstance(meta, Discriminator) and isinstance(meta.discriminator, TypeTagger):
                    tagged = True
            if holds:
                steps.append((name, info.alias or name, tagged))
        plan = _plans[cls] = tuple(steps)
    return plan


def _walk(value: Any, path: list[str | int], tagged: bool) -> Iterator[list[str | int]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, [*path, index], tagged)
        return
    if not isinstance(value, BaseModel):
        return
    if tagged:
        path = [*path, str(getattr(value, "path_tag", ""))]
    extra = value.__pydantic_extra__
    if extra and not getattr(value, "freeform", False):
        for key in extra:
            yield [*path, key]
    for attr, key, field_tagged in _plan(type(value)):
        child = getattr(value, attr)
        if child is not None:
            yield from _walk(child, [*path, key], field_tagged)


def collect_unknown_fields(model: BaseModel) -> list[list[str | int]]:
    """Paths of every key the models did not declare, in body order."""
    return list(_walk(model, [], False))
