"""The model endpoint every wire format has, in the shape each codec gives it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockgw.core.models import ModelInfo
from mockgw.errors import ApiError
from mockgw.protocols.codec import Call, JsonOperation


@dataclass(frozen=True, slots=True)
class RetrieveModel(JsonOperation):
    """``GET /v1/models/{model_id}``: one served model, or the provider's 404."""

    render: Callable[[ModelInfo], dict[str, Any]]
    not_found: Callable[[str], ApiError]

    def answer(self, call: Call) -> dict[str, Any]:
        model_id = call.params["model_id"]
        info = call.models.get(model_id)
        if info is None or not call.models.accepts(model_id):
            raise self.not_found(model_id)
        return self.render(info)
