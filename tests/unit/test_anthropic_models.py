"""How the Anthropic codec names models in its list: display names from the id."""

from __future__ import annotations

import pytest

from mockgw.protocols.anthropic.codec import display_name


@pytest.mark.parametrize(
    ("model_id", "shown"),
    [
        ("claude-opus-4-5-20251101", "Claude Opus 4.5"),
        ("claude-sonnet-4-20250514", "Claude Sonnet 4"),
        ("claude-haiku-4-5", "Claude Haiku 4.5"),
        ("claude-3-haiku-20240307", "Claude Haiku 3"),
        # Ids that are not Claude's (a gateway's --model, gpt-4o) are shown as they are.
        ("gpt-4o", "gpt-4o"),
        ("my-finetune-2025-01-01", "my-finetune-2025-01-01"),
    ],
)
def test_display_name(model_id: str, shown: str) -> None:
    assert display_name(model_id) == shown
