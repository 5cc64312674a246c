"""The shipped library by name, the user's directories over it, several directories.

The library is whatever ``mockgw/library/`` holds: the expectations are read from those
files, not listed here, so adding a scenario to the library needs no test edit.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from mockgw import ConfigError, MockGateway, ScenarioLoadError, ServerConfig, UsageError
from mockgw.background import BackgroundServer
from mockgw.cli import build_parser, config_from_args, main
from mockgw.scenarios.library import LIBRARY_DIR, load_sources
from mockgw.scenarios.loader import load_scenarios
from mockgw.web.app import RUNTIME, build_engine

SHIPPED = load_scenarios([LIBRARY_DIR])


def _scenario(name: str, text: str, *, comment: str = "") -> str:
    return f"{comment}scenario: {name}\nrules:\n  - name: only\n    reply: {{text: {text!r}}}\n"


def _write(folder: Path, stem: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _reply(url: str, prefix: str, text: str = "hello") -> tuple[int, str, str]:
    """Status, the answer text and the x-mockgw-rule header of one chat request."""
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    request = urllib.request.Request(
        f"{url}{prefix}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer sk-x", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
            rule = response.headers.get("x-mockgw-rule", "")
            return response.status, answer["choices"][0]["message"]["content"], rule
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("x-mockgw-rule", "")


def _names(server: BackgroundServer) -> set[str]:
    assert server.app is not None
    return set(server.app[RUNTIME].engine.names)


# --- the library by name --------------------------------------------------------------


def test_the_library_is_every_shipped_file_and_more_than_a_few() -> None:
    stems = {p.stem for p in LIBRARY_DIR.glob("*.yaml")}
    assert len(SHIPPED) >= 10
    assert set(SHIPPED) == stems  # one scenario per file, named as the file
    assert {"weather", "echo"} <= set(SHIPPED)


def test_a_server_with_no_directory_serves_the_library_by_url_prefix() -> None:
    with BackgroundServer(ServerConfig(port=0)) as server:
        assert _names(server) == set(SHIPPED)
        status, text, rule = _reply(server.url, "/s/echo", "same words back")
        assert (status, text) == (200, "same words back")
        assert rule.startswith("echo/")


def test_the_library_can_be_turned_off() -> None:
    with BackgroundServer(ServerConfig(port=0, library=False)) as server:
        assert _names(server) == set()
        status, body, rule = _reply(server.url, "/s/echo")
        assert status == 404
        assert "no scenario named 'echo'" in body
        assert rule == "echo/<unknown>"


def test_mockgw_serve_chooses_a_library_scenario_with_no_directory() -> None:
    args = build_parser().parse_args(["serve", "--scenario", "weather"])
    config = config_from_args(args)
    assert (config.scenarios_dirs, config.library) == ((), True)
    assert build_engine(config).default == "weather"
    off = config_from_args(
        build_parser().parse_args(["serve", "--no-library", "--scenario", "echo"])
    )
    assert off.library is False
    with pytest.raises(ConfigError, match="--scenario echo: no such scenario; known: none loaded"):
        build_engine(off)


def test_a_gateway_session_uses_a_library_scenario_by_name() -> None:
    with MockGateway() as gateway, gateway.session(scenario="echo") as session:
        reply = session.openai_client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "from the wheel"}]
        )
        assert reply.choices[0].message.content == "from the wheel"
    with MockGateway(library=False) as gateway, pytest.raises(UsageError, match="'echo'"):
        gateway.session(scenario="echo")


# --- the user's directories -----------------------------------------------------------


def test_a_user_scenario_hides_the_library_one_of_its_name(tmp_path: Path) -> None:
    _write(tmp_path, "mine", _scenario("weather", "my own weather"))
    with MockGateway(scenarios_dir=tmp_path) as gateway:
        with gateway.session(scenario="weather") as session:
            reply = session.openai_client().chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "weather?"}]
            )
            assert reply.choices[0].message.content == "my own weather"
        assert set(gateway.engine.names) == set(SHIPPED)  # the rest of the library stays
        assert gateway.engine.get("echo") is not None


def test_several_directories_are_served_together(tmp_path: Path) -> None:
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _write(first, "one", _scenario("one", "from a"))
    _write(second, "two", _scenario("two", "from b"))
    _write(third, "three", _scenario("three", "from c"))
    gateway = MockGateway(scenarios_dir=first, scenarios_dirs=[second, str(third)])
    assert gateway.config.scenarios_dirs == (first, second, third)
    with gateway:
        for name, where in (("one", "a"), ("two", "b"), ("three", "c")):
            status, text, _ = _reply(gateway.url, f"/s/{name}")
            assert (status, text) == (200, f"from {where}")


def test_the_cli_takes_scenarios_more_than_once(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["serve", "--scenarios", str(tmp_path / "a"), "--scenarios", str(tmp_path / "b")]
    )
    assert config_from_args(args).scenarios_dirs == (tmp_path / "a", tmp_path / "b")


def test_a_name_in_two_user_directories_is_an_error_naming_both(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", "x", _scenario("dup", "a"))
    second = _write(tmp_path / "b", "y", _scenario("dup", "b", comment="# mine\n# too\n"))
    with pytest.raises(ScenarioLoadError) as caught:
        load_sources([tmp_path / "a", tmp_path / "b"])
    assert str(caught.value) == f"{second}:3:1: scenario 'dup' is already defined at {first}:1"


def test_mockgw_serve_refuses_a_name_in_two_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _write(tmp_path / "a", "x", _scenario("dup", "a"))
    second = _write(tmp_path / "b", "y", _scenario("dup", "b"))
    folders = ["--scenarios", str(first.parent), "--scenarios", str(second.parent)]
    assert main(["serve", "--port", "0", *folders]) == 2
    err = capsys.readouterr().err
    assert f"{second}:1:1: scenario 'dup' is already defined at {first}:1" in err


def test_a_missing_directory_among_several_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = ["--scenarios", str(tmp_path), "--scenarios", str(tmp_path / "nope")]
    assert main(["serve", "--port", "0", *folders]) == 2
    assert capsys.readouterr().err == f"mockgw: --scenarios {tmp_path / 'nope'}: not a directory\n"


# --- --watch over several directories -------------------------------------------------


def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_watch_reloads_every_directory_and_keeps_the_library(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _write(first, "one", _scenario("one", "first"))
    two = _write(second, "two", _scenario("two", "second"))
    config = ServerConfig(port=0, scenarios_dirs=(first, second), watch=True)
    with BackgroundServer(config) as server:
        assert _names(server) == {*SHIPPED, "one", "two"}
        # An edit in the second directory is seen.
        two.write_text(_scenario("two", "second, edited"), encoding="utf-8")
        _until(lambda: _reply(server.url, "/s/two")[1] == "second, edited", "the edit served")
        assert _names(server) == {*SHIPPED, "one", "two"}
        # A name repeated across the directories is refused; the last good set stays.
        clash = _write(first, "again", _scenario("two", "a clash"))
        _until(lambda: "scenario reload failed" in caplog.text, "the clash reported")
        assert f"{two}:1:1: scenario 'two' is already defined at {clash}:1" in caplog.text
        assert _reply(server.url, "/s/two")[1] == "second, edited"
        # Removing the clash lets a new file in the first directory through.
        (first / "again.yaml").unlink()
        _write(first, "three", _scenario("three", "third"))
        _until(lambda: "three" in _names(server), "the new file loaded")
        assert _names(server) == {*SHIPPED, "one", "two", "three"}
