"""A validated Messages body -> the neutral :class:`~mockgw.core.ChatRequest`.

Reads the body dict that validation approved. Text blocks of one turn are joined with
newlines and the system prompt likewise, exactly as the OpenAI decoder joins text
parts and system messages, so one conversation reduces to one neutral request (and
one generated answer, one token count) on both APIs.
"""

from __future__ import annotations

from typing import Any

from mockgw.core.chat import (
    ChatRequest,
    Message,
    ToolCall,
    ToolChoice,
    ToolResult,
    ToolSpec,
)

from .output_format import response_format

_MEDIA_BLOCKS = frozenset({"image", "document", "search_result", "container_upload"})
# Thinking shown when the request asks for adaptive thinking without a budget.
ADAPTIVE_THINKING_BUDGET = 1024


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or () if b.get("type") == "text")


def system_text(system: Any) -> str:
    return _block_text(system) if system else ""


def _message(raw: dict[str, Any], call_names: dict[str, str]) -> Message:
    content = raw["content"]
    if isinstance(content, str):
        return Message(role=raw["role"], text=content)
    texts: list[str] = []
    calls: list[ToolCall] = []
    results: list[ToolResult] = []
    media = 0
    for block in content:
        kind = block.get("type")
        if kind == "text":
            texts.append(block["text"])
        elif kind == "tool_use":
            calls.append(ToolCall(id=block["id"], name=block["name"], arguments=block["input"]))
        elif kind == "tool_result":
            tool_id = block["tool_use_id"]
            results.append(
                ToolResult(
                    tool_call_id=tool_id,
                    content=_block_text(block.get("content")),
                    is_error=bool(block.get("is_error")),
                    name=call_names.get(tool_id),
                )
            )
        elif kind in _MEDIA_BLOCKS:
            media += 1
    call_names.update((c.id, c.name) for c in calls)
    return Message(
        role=raw["role"],
        text="\n".join(texts),
        tool_calls=tuple(calls),
        tool_results=tuple(results),
        media_parts=media,
    )


def _tool_choice(raw: dict[str, Any] | None) -> ToolChoice:
    if not raw:
        return ToolChoice("auto")
    parallel = not raw.get("disable_parallel_tool_use", False)
    kind = raw["type"]
    if kind == "any":
        return ToolChoice("required", parallel=parallel)
    if kind == "tool":
        return ToolChoice("named", raw["name"], parallel=parallel)
    if kind == "none":
        return ToolChoice("none", parallel=parallel)
    return ToolChoice("auto", parallel=parallel)


def _tools(raw_tools: list[dict[str, Any]] | None) -> tuple[ToolSpec, ...]:
    # Server tools (web search, bash, ...) run on Anthropic's side; only custom tools,
    # the ones with an input_schema, can be called back to the client.
    return tuple(
        ToolSpec(t["name"], t.get("description") or "", t["input_schema"])
        for t in raw_tools or ()
        if "input_schema" in t
    )


def _thinking_budget(body: dict[str, Any]) -> int | None:
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled":
        return int(thinking["budget_tokens"])
    if thinking.get("type") == "adaptive":
        return ADAPTIVE_THINKING_BUDGET
    return None


def to_chat_request(body: dict[str, Any]) -> ChatRequest:
    """Reduce a body that validation accepted (create or count_tokens) to neutral form."""
    call_names: dict[str, str] = {}
    system = [system_text(body.get("system"))]
    messages = []
    for raw in body["messages"]:
        if raw["role"] == "system":  # the 2026 mid-conversation system turn
            system.append(_block_text(raw["content"]))
        else:
            messages.append(_message(raw, call_names))
    metadata = body.get("metadata") or {}
    user_id = metadata.get("user_id")
    return ChatRequest(
        api="anthropic",
        model=body["model"],
        system="\n".join(s for s in system if s),
        messages=tuple(messages),
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(body.get("tool_choice")),
        response_format=response_format(body),
        max_tokens=body.get("max_tokens"),
        stop=tuple(body.get("stop_sequences") or ()),
        stream=bool(body.get("stream")),
        thinking_budget=_thinking_budget(body),
        metadata={"user_id": user_id} if user_id else {},
        tool_id_prefix="toolu_01",
    )
