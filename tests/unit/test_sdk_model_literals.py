"""The model catalogue follows the installed SDKs: every id in their model literals is served.

Code written against ``anthropic.types.Model`` or ``openai.types.ChatModel`` must work
unchanged; a new SDK release that names a model mockgw does not know (or one mockgw
retired) fails here rather than as a 404 in somebody's test suite.
"""

from __future__ import annotations

import typing

import pytest
from anthropic.types.model import Model
from openai.types.shared.chat_model import ChatModel

from mockgw.core.models import RETIRED_MODELS, ModelCatalogue


def _literal_ids(alias: object) -> list[str]:
    """The string literals inside ``alias`` (``Union[Literal[...], str]`` or a bare Literal)."""
    found: list[str] = []
    for arg in typing.get_args(alias) or (alias,):
        if typing.get_origin(arg) is typing.Literal:
            found.extend(value for value in typing.get_args(arg) if isinstance(value, str))
        elif isinstance(arg, str):
            found.append(arg)
    return found


SDK_IDS = sorted({*_literal_ids(Model), *_literal_ids(ChatModel)})


def test_the_literals_were_read() -> None:
    # A change in how the SDKs spell their types must not make the test below vacuous.
    assert "claude-mythos-preview" in SDK_IDS
    assert "gpt-4o" in SDK_IDS
    assert len(SDK_IDS) > 50


@pytest.mark.parametrize("model_id", SDK_IDS)
def test_every_sdk_model_id_is_served(model_id: str) -> None:
    catalogue = ModelCatalogue.default()
    assert model_id in catalogue, f"{model_id} is in an SDK literal but not the catalogue"
    assert model_id not in RETIRED_MODELS
    assert catalogue.accepts(model_id), f"{model_id} would be answered 404"
