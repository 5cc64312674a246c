"""The pytest plugin as users meet it: pytester sessions using the fixtures and marker."""

from __future__ import annotations

# Imported here, in the outer session, for speed only: an in-process pytester run drops
# the modules it imported when it ends, so without these every run that uses an SDK
# would import it afresh (seconds each on a small machine).
import anthropic  # noqa: F401
import openai  # noqa: F401
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

# pytest-asyncio is installed here and warns when its loop scope is unset.
QUIET_ASYNCIO = ("-o", "asyncio_default_fixture_loop_scope=function")


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
    result.stdout.fnmatch_lines(
        ["mockgw: *, scenarios: *scenarios + the shipped library, journal size: 1000"]
    )


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


ASYNC_TEST = """
import pytest

@pytest.mark.mockgw(scenario="counter")
{decorator}async def test_async(mockgw):
    # Closed on this test's loop: an async client left open would be closed later by the
    # garbage collector, on a loop that has gone (anyio reports that as a failure).
    async with mockgw.async_anthropic_client() as client:
        message = await client.messages.create(
            model="claude-haiku-4-5", max_tokens=20,
            messages=[{{"role": "user", "content": "count"}}],
        )
    assert message.content[0].text == "one"
"""


def test_async_tests_with_pytest_asyncio_auto_mode(project: pytest.Pytester) -> None:
    project.makepyfile(ASYNC_TEST.format(decorator=""))
    project.runpytest("-p", "asyncio", "-o", "asyncio_mode=auto").assert_outcomes(passed=1)


def test_async_tests_with_pytest_asyncio_strict_mode_marker(project: pytest.Pytester) -> None:
    project.makepyfile(ASYNC_TEST.format(decorator="@pytest.mark.asyncio\n"))
    result = project.runpytest("-p", "asyncio", "-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=1)


def test_async_tests_with_anyio_instead_of_pytest_asyncio(project: pytest.Pytester) -> None:
    # anyio's own plugin (its default backend, asyncio) runs them just as well; pytest-asyncio
    # and pytest-aiohttp (which needs it) are switched off to show it is not needed.
    project.makepyfile(ASYNC_TEST.format(decorator="@pytest.mark.anyio\n"))
    result = project.runpytest("-p", "no:asyncio", "-p", "no:aiohttp", "-p", "anyio")
    result.assert_outcomes(passed=1)


def test_async_tests_need_an_async_plugin(project: pytest.Pytester) -> None:
    # mockgw itself runs no event loop for the test: without such a plugin pytest refuses.
    project.makepyfile(ASYNC_TEST.format(decorator=""))
    result = project.runpytest("-p", "no:asyncio", "-p", "no:aiohttp", "-p", "no:anyio")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


# Every worker runs every test (--dist each), so each worker's server serves several
# tests in turn, whatever the scheduler would have done: the test is deterministic.
XDIST_TEST = """
import os
import pytest

@pytest.mark.mockgw(scenario="counter")
def test_counts_{i}(mockgw, mockgw_server):
    # A fresh session even though earlier tests on this worker used the same server.
    assert mockgw.requests() == []
    client = mockgw.openai_client(max_retries=0)
    texts = [
        client.chat.completions.create(
            model="gpt-4o", messages=[{{"role": "user", "content": "n"}}]
        ).choices[0].message.content
        for _ in range(2)
    ]
    assert texts == ["one", "two"]
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(os.path.join("{records}", worker + "-{i}"), "w") as record:
        # The process and the object, not only the URL: a port can be reused.
        record.write(f"{{os.getpid()}} {{id(mockgw_server)}} {{mockgw_server.url}}")
"""


@pytest.mark.slow
def test_runs_under_xdist_one_server_per_worker(project: pytest.Pytester) -> None:
    records = project.path / "records"
    records.mkdir()
    project.makepyfile(
        **{f"test_worker_{i}": XDIST_TEST.format(i=i, records=records) for i in range(3)}
    )
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])
    runs: dict[str, list[str]] = {}
    for record in records.iterdir():
        runs.setdefault(record.name.partition("-")[0], []).append(record.read_text())
    # Each worker ran the three tests, and every test on a worker saw the same server...
    assert sorted(runs) == ["gw0", "gw1"]
    assert [len(urls) for urls in runs.values()] == [3, 3]
    servers = {worker: set(urls) for worker, urls in runs.items()}
    assert [len(urls) for urls in servers.values()] == [1, 1]
    # ...its own: one server per worker.
    assert servers["gw0"] != servers["gw1"]


PLUGIN_ALONE = """
import sys

def test_plugin_loaded_and_nothing_heavy_yet():
    assert "mockgw.pytest_plugin" in sys.modules
    assert "mockgw.gateway" not in sys.modules
    assert "pytest_asyncio" not in sys.modules  # mockgw does not need it

def test_fixture_works(mockgw):
    reply = mockgw.openai_client(max_retries=0).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
    )
    assert reply.choices[0].message.content
    mockgw.assert_called(times=1)
"""


@pytest.mark.slow
def test_works_with_autoload_disabled_and_dash_p(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(PLUGIN_ALONE)
    # Autoload really is off: without -p the fixture does not exist.
    without = pytester.runpytest_subprocess("-p", "no:randomly")
    without.assert_outcomes(failed=1, errors=1)
    without.stdout.fnmatch_lines(["*fixture 'mockgw' not found*"])
    # -p takes the entry point's name, as pytest resolves it.
    with_p = pytester.runpytest_subprocess("-p", "mockgw")
    with_p.assert_outcomes(passed=2)
    with_p.stdout.fnmatch_lines(
        ["mockgw: *, scenarios: none + the shipped library, journal size: 1000"]
    )


def test_scenarios_folder_at_the_rootdir_needs_no_configuration(pytester: pytest.Pytester) -> None:
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "counter.yaml").write_text(SCENARIO)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockgw(scenario="counter")
        def test_uses_it(mockgw):
            reply = mockgw.openai_client(max_retries=0).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "n"}]
            )
            assert reply.choices[0].message.content == "one"
        """
    )
    # No ini file, no mockgw option; only pytest-asyncio (installed here) is quietened.
    result = pytester.runpytest(*QUIET_ASYNCIO)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"mockgw: *, scenarios: {pytester.path / 'scenarios'} + *"])


@pytest.mark.parametrize(
    ("ini", "args", "expected"),
    [
        ("", [], "none"),  # no folder, no setting: generated replies only
        ("", [], "{root}/scenarios"),
        ("mockgw_scenarios = from-ini", [], "{root}/from-ini"),
        ("mockgw_scenarios = from-ini", ["--mockgw-scenarios", "from-cli"], "{root}/from-cli"),
        ("", ["--mockgw-scenarios", "from-cli"], "{root}/from-cli"),
    ],
)
def test_scenarios_lookup_order(
    pytester: pytest.Pytester, ini: str, args: list[str], expected: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\nasyncio_default_fixture_loop_scope = function\n")
    folders = ["from-ini", "from-cli"] + (["scenarios"] if expected != "none" else [])
    for folder in folders:
        (pytester.path / folder).mkdir()
    pytester.makepyfile(
        """
        def test_dir(mockgw_scenarios_dir, mockgw_server):
            print("chosen:", mockgw_scenarios_dir or "none")
            chosen = (mockgw_scenarios_dir,) if mockgw_scenarios_dir else ()
            assert mockgw_server.config.scenarios_dirs == chosen
        """
    )
    result = pytester.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    chosen = expected.format(root=pytester.path)
    result.stdout.fnmatch_lines([f"mockgw: *, scenarios: {chosen} + *", f"*chosen: {chosen}"])


@pytest.mark.parametrize("value", ["many", "-1", "1.5", ""])
def test_bad_journal_size_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(
        f"[pytest]\nmockgw_journal_size = {value}\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: mockgw_journal_size: {value!r} is not a valid value; "
            "valid values are whole numbers, 0 or more*"
        ]
    )


def test_journal_bytes_reaches_the_gateway(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nmockgw_journal_bytes = 3MiB\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        def test_budget(mockgw_server):
            assert mockgw_server.journal.max_bytes == 3 * 1024 * 1024
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("value", ["lots", "-1", "1.5M"])
def test_bad_journal_bytes_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(
        f"[pytest]\nmockgw_journal_bytes = {value}\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: mockgw_journal_bytes: {value!r} is not a size; valid values are *64MiB*"]
    )
