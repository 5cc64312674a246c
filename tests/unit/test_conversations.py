"""The neutral conversation store: bounds, claims, the hand-over of a continued history."""

from __future__ import annotations

import pytest

from mockgw.core.chat import ChatRequest, Message
from mockgw.core.conversations import Conversation, ConversationStore, ConversationUnavailable


def _conversation(text: str = "hi") -> Conversation:
    request = ChatRequest(api="toy", model="m", messages=(Message("user", text),))
    return Conversation("toy", request, Message("assistant", "ok"), wire={"messages": [text]})


def _problem(store: ConversationStore, session: str, response_id: str) -> str:
    with pytest.raises(ConversationUnavailable) as caught:
        store.peek(session, response_id, api="toy")
    return caught.value.problem


def test_a_continued_entry_hands_its_history_on_and_cannot_be_continued_again() -> None:
    store = ConversationStore()
    store.save("s", "a", _conversation("x" * 1000))
    before = store.size
    store.save("s", "b", _conversation(), continues="a")
    assert _problem(store, "s", "a") == "already_continued"
    assert store.peek("s", "b", api="toy").history[-1].text == "ok"
    assert store.size < before + 100  # the marker keeps no history


def test_a_claim_holds_until_released_and_other_apis_and_sessions_see_nothing() -> None:
    store = ConversationStore()
    store.save("s", "a", _conversation())
    store.claim("s", "a", api="toy")
    assert _problem(store, "s", "a") == "in_flight"
    store.release("s", "a")
    assert store.peek("s", "a", api="toy").api == "toy"
    assert _problem(store, "other", "a") == "not_found"
    with pytest.raises(ConversationUnavailable):
        store.peek("s", "a", api="elsewhere")


def test_the_oldest_entries_go_past_either_bound() -> None:
    store = ConversationStore(per_session=2, max_bytes=10_000)
    for name in "abc":
        store.save("s", name, _conversation())
    assert store.count("s") == 2
    assert _problem(store, "s", "a") == "not_found"
    store.save("t", "big", _conversation("y" * 9_980))
    assert _problem(store, "s", "b") == "not_found"  # evicted for bytes, across sessions
    assert store.size <= 10_000


def test_clear_forgets_one_session_or_all() -> None:
    store = ConversationStore()
    store.save("s", "a", _conversation())
    store.save("t", "b", _conversation())
    store.clear("s")
    assert (store.count("s"), store.count("t")) == (0, 1)
    store.clear()
    assert (store.count("t"), store.size) == (0, 0)
