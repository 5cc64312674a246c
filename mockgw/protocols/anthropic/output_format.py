"""Where an Anthropic request asks for structured output, and the one way to ask twice.

The current place is ``output_config.format``; older SDKs, LiteLLM's ``anthropic/``
provider and raw callers still send the top-level ``output_format`` of the
``structured-outputs-2025-11-13`` beta, with the same ``{type: json_schema, schema}``.
Both lead to the same schema-valid JSON text the OpenAI ``json_schema`` format gets.
"""

from __future__ import annotations

from typing import Any

from mockgw.core.chat import ResponseFormat

from .schema import CountTokensRequest
from .validation_errors import invalid_request

# The anthropic SDK's own wording when a caller passes both (lib/_parse/_transform.py);
# the API's is not known, so this one is reused (docs/deviations.md).
MSG_BOTH_FORMATS = (
    "Both output_format and output_config.format were provided. Please use only "
    "output_config.format (output_format is deprecated)."
)


def check_output_format(request: CountTokensRequest) -> None:
    """Refuse a request that names its format in both places: which one would win is
    exactly what a client should not have to guess."""
    config_format = request.output_config.format if request.output_config else None
    if request.output_format is not None and config_format is not None:
        raise invalid_request(MSG_BOTH_FORMATS)


def response_format(body: dict[str, Any]) -> ResponseFormat:
    """The neutral response format of a validated body."""
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return ResponseFormat("json_schema", None, fmt.get("schema") or {})
    return ResponseFormat()
