"""A validated Responses body -> the neutral :class:`~mockgw.core.chat.ChatRequest`.

It normalises the conversation the way the Chat Completions decoder does, so that one
conversation reduces to one neutral request on every endpoint: ``instructions`` and
system/developer messages are hoisted into one system prompt, text parts are joined with
newlines, the ``function_call`` items after an assistant message join its turn, and a run
of ``function_call_output`` items becomes one user turn of tool results. Reasoning and
item references carry nothing a reply depends on.
"""

from __future__ import annotations

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
from mockgw.protocols.openai.decode import parsed_arguments
from mockgw.protocols.openai_responses.validate import item_kind

_MEDIA = frozenset({"input_image", "input_file"})
# Visible reasoning a request asks for (``reasoning.summary``), by effort, in tokens.
THINKING_BUDGET = {"none": 0, "minimal": 256, "low": 1024, "medium": 4096, "high": 8192}


def input_items(raw: Any) -> list[dict[str, Any]]:
    """``input`` as a list of items: a string is one user message."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    return list(raw)


def _text(content: Any) -> tuple[str, int]:
    if isinstance(content, str):
        return content, 0
    texts = [
        p.get("text") or p.get("refusal") or ""
        for p in content
        if p.get("type") in ("input_text", "output_text", "refusal")
    ]
    return "\n".join(texts), sum(1 for p in content if p.get("type") in _MEDIA)


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return "\n".join(str(p.get("text", "")) for p in output if isinstance(p, dict))


def conversation(
    instructions: str | None, items: list[dict[str, Any]]
) -> tuple[str, tuple[Message, ...]]:
    system = [instructions] if instructions else []
    messages: list[Message] = []
    names: dict[str, str] = {}
    results: list[ToolResult] = []

    def flush() -> None:
        if results:
            messages.append(Message(role="user", tool_results=tuple(results)))
            results.clear()

    for item in items:
        kind = item_kind(item)
        if kind == "function_call_output":
            call_id = item["call_id"]
            text = _output_text(item["output"])
            results.append(ToolResult(call_id, text, name=names.get(call_id)))
            continue
        if kind not in ("message", "function_call"):
            continue  # reasoning, item references: nothing a reply depends on
        flush()
        if kind == "function_call":
            call = ToolCall(item["call_id"], item["name"], parsed_arguments(item["arguments"]))
            names[call.id] = call.name
            last = messages[-1] if messages else None
            if last is not None and last.role == "assistant":
                messages[-1] = Message("assistant", last.text, (*last.tool_calls, call))
            else:
                messages.append(Message("assistant", tool_calls=(call,)))
            continue
        text, media = _text(item["content"])
        role = item["role"]
        if role in ("system", "developer"):
            system.append(text)
        elif role == "assistant":
            messages.append(Message("assistant", text))
        else:
            messages.append(Message("user", text, media_parts=media))
    flush()
    return "\n".join(system), tuple(messages)


def _tools(raw: Any) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(t["name"], t.get("description") or "", t.get("parameters") or {})
        for t in raw or ()
        if t.get("type") == "function"
    )


def _tool_choice(raw: Any, parallel: bool) -> ToolChoice:
    if raw == "none":
        return ToolChoice("none", parallel=parallel)
    if raw == "required":
        return ToolChoice("required", parallel=parallel)
    if isinstance(raw, dict):
        if raw.get("type") == "function":
            return ToolChoice("named", raw["name"], parallel=parallel)
        if raw.get("type") == "allowed_tools" and raw.get("mode") == "required":
            names = tuple(t["name"] for t in raw["tools"] if isinstance(t, dict) and "name" in t)
            return ToolChoice("required", parallel=parallel, allowed=names)
    return ToolChoice("auto", parallel=parallel)


def _format(text: Any) -> ResponseFormat:
    fmt = (text or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        return ResponseFormat("json_schema", fmt.get("name"), fmt.get("schema") or {})
    if fmt.get("type") == "json_object":
        return ResponseFormat("json_object")
    return ResponseFormat()


def _thinking(reasoning: Any) -> int | None:
    # Reasoning becomes visible only as a summary, and only when one is asked for.
    if not reasoning or reasoning.get("summary") is None:
        return None
    return THINKING_BUDGET.get(reasoning.get("effort") or "medium") or None


def to_chat_request(body: dict[str, Any], items: list[dict[str, Any]], *, api: str) -> ChatRequest:
    """``body`` (validated) with ``items``, its whole input (a stored history included)."""
    system, messages = conversation(body.get("instructions"), items)
    return ChatRequest(
        api=api,
        model=body["model"],
        system=system,
        messages=messages,
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(
            body.get("tool_choice"), body.get("parallel_tool_calls") is not False
        ),
        response_format=_format(body.get("text")),
        max_tokens=body.get("max_output_tokens"),
        stream=body.get("stream") is True,
        thinking_budget=_thinking(body.get("reasoning")),
        metadata=dict(body.get("metadata") or {}),
        tool_id_prefix="call_",
    )
