"""The pytest plugin as users meet it: pytester sessions using the fixtures and marker."""

from __future__ import annotations

import pytest

SCENARIO = """
scenario: counter
rules:
  - name: numbered
    replies:
      - {text: "one"}
      - {text: "two"}
      - {text: "three"}
"""

INI = """
[pytest]
mockgw_scenarios = scenarios
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "counter.yaml").write_text(SCENARIO)
    return pytester


def test_marker_scenario_and_isolation(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        def ask(mockgw):
            client = mockgw.openai_client(max_retries=0)
            reply = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "count"}]
            )
            return reply.choices[0].message.content

        @pytest.mark.mockgw(scenario="counter")
        def test_first(mockgw):
            assert [ask(mockgw), ask(mockgw)] == ["one", "two"]
            mockgw.assert_called(rule="numbered", times=2)

        @pytest.mark.mockgw(scenario="counter")
        def test_second_starts_fresh(mockgw):
            # Same scenario, same server: no counters or journal entries leak in.
            assert mockgw.requests() == []
            assert ask(mockgw) == "one"
            assert len(mockgw.requests()) == 1
        """
    )
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_report_header_shows_configuration(project: pytest.Pytester) -> None:
    project.makepyfile("def test_nothing():\n    pass\n")
    result = project.runpytest()
    result.stdout.fnmatch_lines(["mockgw: *, scenarios: *scenarios, journal size: 1000"])


def test_unmatched_request_fails_at_teardown_with_the_near_miss(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import anthropic
        import pytest

        RULES = [{"name": "only-hello", "when": {"last_user": "hello"}, "reply": {"text": "hi"}}]

        @pytest.mark.mockgw(rules=RULES)
        def test_misses(mockgw):
            client = mockgw.anthropic_client(max_retries=0)
            with pytest.raises(anthropic.NotFoundError):
                client.messages.create(
                    model="claude-haiku-4-5", max_tokens=50,
                    messages=[{"role": "user", "content": "goodbye"}],
                )
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockgw: 1 request(s) matched no rule (strict mode;*",
            "*Nearest rule: 'only-hello' (0 of 1 conditions hold):*",
            "*last user message equals 'hello' — found 'goodbye'*",
        ]
    )


def test_strict_mode_holds_when_the_journal_keeps_nothing(pytester: pytest.Pytester) -> None:
    # Misses are counted from the session's state: a journal of size 0 cannot hide one.
    pytester.makeini(INI.replace("mockgw_scenarios = scenarios", "mockgw_journal_size = 0"))
    pytester.makepyfile(
        """
        import openai
        import pytest

        @pytest.mark.mockgw(rules=[{"when": {"last_user": "ping"}, "reply": {"text": "pong"}}])
        def test_misses(mockgw):
            with pytest.raises(openai.NotFoundError):
                mockgw.openai_client(max_retries=0).chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
                )
            assert mockgw.requests() == []
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*mockgw: 1 request(s) matched no rule*"])


def test_marker_keywords_are_the_librarys_session_keywords() -> None:
    import inspect

    from mockgw.gateway import MockGateway
    from mockgw.pytest_plugin import MARKER

    keywords = list(inspect.signature(MockGateway.session).parameters)[1:]
    assert keywords == ["name", "scenario", "strict", "rules", "env"]
    # The marker's help names exactly those keywords.
    for keyword in keywords:
        assert f"{keyword}=" in MARKER


def test_strict_false_opts_out(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import openai
        import pytest

        @pytest.mark.mockgw(strict=False, rules="[{when: {last_user: x}, reply: {text: y}}]")
        def test_misses_quietly(mockgw):
            with pytest.raises(openai.NotFoundError):
                mockgw.openai_client(max_retries=0).chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "z"}]
                )
            assert len(mockgw.unmatched) == 1
        """
    )
    project.runpytest().assert_outcomes(passed=1)


def test_env_patching_is_restored(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import os
        import anthropic
        import openai
        import pytest

        os.environ["OPENAI_BASE_URL"] = "https://example.invalid/v1"
        os.environ.pop("ANTHROPIC_BASE_URL", None)

        @pytest.mark.mockgw(env=True)
        def test_clients_built_from_env(mockgw):
            assert os.environ["OPENAI_BASE_URL"] == mockgw.openai_base_url
            reply = openai.OpenAI(max_retries=0).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
            assert reply.choices[0].message.content
            message = anthropic.Anthropic(max_retries=0).messages.create(
                model="claude-haiku-4-5", max_tokens=20,
                messages=[{"role": "user", "content": "hi"}],
            )
            assert message.content
            assert len(mockgw.requests()) == 2

        def test_after():
            assert os.environ["OPENAI_BASE_URL"] == "https://example.invalid/v1"
            assert "ANTHROPIC_BASE_URL" not in os.environ
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_assert_called_failure_lists_the_requests(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.mockgw(scenario="counter")
        def test_wrong_count(mockgw):
            mockgw.openai_client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "a"}]
            )
            mockgw.assert_called(rule="numbered", times=2)
        """
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected rule='numbered' 2 time(s), got 1.*",
            "*received 1 request(s):*",
            "*POST /session/*/v1/chat/completions [[]openai] -> 200 rule counter/numbered*",
        ]
    )


def test_async_tests_and_async_clients(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.mockgw(scenario="counter")
        async def test_async(mockgw):
            client = mockgw.async_anthropic_client()
            message = await client.messages.create(
                model="claude-haiku-4-5", max_tokens=20,
                messages=[{"role": "user", "content": "count"}],
            )
            assert message.content[0].text == "one"
        """
    )
    project.runpytest("-p", "asyncio", "-o", "asyncio_mode=auto").assert_outcomes(passed=1)


@pytest.mark.slow
def test_runs_under_xdist(project: pytest.Pytester) -> None:
    project.makepyfile(
        **{
            f"test_worker_{i}": f"""
import pytest

@pytest.mark.mockgw(scenario="counter")
def test_counts_{i}(mockgw):
    client = mockgw.openai_client(max_retries=0)
    texts = [
        client.chat.completions.create(
            model="gpt-4o", messages=[{{"role": "user", "content": "n"}}]
        ).choices[0].message.content
        for _ in range(2)
    ]
    assert texts == ["one", "two"]
"""
            for i in range(4)
        }
    )
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*2 workers*"])
