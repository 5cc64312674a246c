"""A validated Chat Completions body -> the neutral :class:`~mockgw.core.ChatRequest`.

It reads the body dict that validation has already approved, so every access here is
safe, and it normalises the conversation the way Claude-fronting gateways do:
system and developer messages are hoisted into one system prompt, and a run of tool
messages becomes one user turn carrying tool results (Anthropic's shape). The same
conversation therefore reduces to the same neutral request on both APIs.
"""

from __future__ import annotations

import json
from typing import Any

from mockgw.core.chat import (
    ChatRequest,
    Message,
    ResponseFormat,
    ToolCall,
    ToolChoice,
    ToolResult,
    ToolSpec,
)

_MEDIA_PARTS = frozenset({"image_url", "input_audio", "file"})


def _text(content: Any) -> tuple[str, int]:
    """Text of a content field (string or parts) and its count of media parts."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts = [
        p.get("text") or p.get("refusal") or ""
        for p in content
        if p.get("type") in ("text", "refusal")
    ]
    media = sum(1 for p in content if p.get("type") in _MEDIA_PARTS)
    return "\n".join(texts), media


def parsed_arguments(raw: str) -> dict[str, Any]:
    """A tool call's ``arguments`` (an opaque JSON string on OpenAI's wires) as an object;
    non-JSON or non-object ones stay visible under ``_raw`` / ``_value``."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_value": value}


def _messages(raw_messages: list[dict[str, Any]]) -> tuple[str, tuple[Message, ...]]:
    system: list[str] = []
    messages: list[Message] = []
    call_names: dict[str, str] = {}
    pending_results: list[ToolResult] = []

    def flush_results() -> None:
        if pending_results:
            messages.append(Message(role="user", tool_results=tuple(pending_results)))
            pending_results.clear()

    for raw in raw_messages:
        role = raw["role"]
        if role in ("tool", "function"):
            text, _ = _text(raw.get("content"))
            call_id = raw.get("tool_call_id") or raw.get("name") or ""
            name = call_names.get(call_id, raw.get("name"))
            pending_results.append(ToolResult(tool_call_id=call_id, content=text, name=name))
            continue
        flush_results()
        text, media = _text(raw.get("content"))
        if role in ("system", "developer"):
            system.append(text)
        elif role == "assistant":
            calls = tuple(
                ToolCall(
                    id=call["id"],
                    name=call["function"]["name"],
                    arguments=parsed_arguments(call["function"]["arguments"]),
                )
                for call in raw.get("tool_calls") or ()
                if call.get("type", "function") == "function"
            )
            call_names.update((call.id, call.name) for call in calls)
            messages.append(Message(role="assistant", text=text, tool_calls=calls))
        else:
            messages.append(Message(role="user", text=text, media_parts=media))
    flush_results()
    return "\n".join(system), tuple(messages)


def _tools(raw_tools: list[dict[str, Any]] | None) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in raw_tools or ():
        if tool.get("type", "function") != "function":
            continue  # custom (free-form grammar) tools are accepted but never called
        function = tool["function"]
        specs.append(
            ToolSpec(
                name=function["name"],
                description=function.get("description") or "",
                parameters=function.get("parameters") or {},
            )
        )
    return tuple(specs)


def _tool_choice(raw: Any, parallel: bool) -> ToolChoice:
    if raw in (None, "auto"):
        return ToolChoice("auto", parallel=parallel)
    if raw == "none":
        return ToolChoice("none", parallel=parallel)
    if raw == "required":
        return ToolChoice("required", parallel=parallel)
    if isinstance(raw, dict):
        if raw.get("type") == "function":
            return ToolChoice("named", raw["function"]["name"], parallel=parallel)
        if raw.get("type") == "allowed_tools" and raw["allowed_tools"].get("mode") == "required":
            names = tuple(
                t["function"]["name"]
                for t in raw["allowed_tools"].get("tools") or ()
                if isinstance(t, dict)
                and isinstance(t.get("function"), dict)
                and isinstance(t["function"].get("name"), str)
            )
            return ToolChoice("required", parallel=parallel, allowed=names)
    return ToolChoice("auto", parallel=parallel)


def _response_format(raw: dict[str, Any] | None) -> ResponseFormat:
    if not raw or raw.get("type") == "text":
        return ResponseFormat()
    if raw["type"] == "json_schema":
        spec = raw["json_schema"]
        return ResponseFormat("json_schema", spec.get("name"), spec.get("schema") or {})
    if raw["type"] == "json_object":
        return ResponseFormat("json_object")
    return ResponseFormat()


def _stop(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(raw)


def to_chat_request(body: dict[str, Any]) -> ChatRequest:
    """Reduce a body that :func:`validate_chat_request` accepted to neutral form."""
    system, messages = _messages(body["messages"])
    stream = bool(body.get("stream"))
    options = body.get("stream_options") or {}
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    parallel = body.get("parallel_tool_calls")
    return ChatRequest(
        api="openai",
        model=body["model"],
        system=system,
        messages=messages,
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(body.get("tool_choice"), parallel is not False),
        response_format=_response_format(body.get("response_format")),
        max_tokens=max_tokens,
        stop=_stop(body.get("stop")),
        n=body.get("n") or 1,
        stream=stream,
        include_usage=stream and bool(options.get("include_usage")),
        seed=body.get("seed"),
        metadata=dict(body.get("metadata") or {}),
        tool_id_prefix="call_",
    )
