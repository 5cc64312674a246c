"""Anthropic's model listing as anthropic >= 2.16 validates it: lifecycle is required."""

from __future__ import annotations

import anthropic

from mockgw.background import BackgroundServer
from mockgw.core.models import DEPRECATED_MODELS
from tests.conftest import API_KEY


def _strict_client(server: BackgroundServer) -> anthropic.Anthropic:
    # Strict response validation is how the SDK's own generated tests read a listing.
    return anthropic.Anthropic(
        api_key=API_KEY, base_url=server.url, max_retries=0, _strict_response_validation=True
    )


def test_a_strictly_validating_client_reads_every_page(server: BackgroundServer) -> None:
    listed = list(_strict_client(server).models.list(limit=10))
    assert len(listed) > 10  # more than one page
    assert {model.lifecycle for model in listed} == {"active", "deprecated"}


def test_a_deprecated_model_says_when_it_retires(server: BackgroundServer) -> None:
    model = _strict_client(server).models.retrieve("claude-opus-4-5")
    assert model.lifecycle == "deprecated"
    assert model.retires_at == DEPRECATED_MODELS["claude-opus-4-5"]
    active = _strict_client(server).models.retrieve("claude-sonnet-4-5")
    assert (active.lifecycle, active.retires_at, active.deprecated_at) == ("active", None, None)
