"""Where ``mockgw serve`` takes the admin token from, and its warning for wide binds.

argv shows in ``ps`` to every user of the machine, so the token may come from a file or
``MOCKGW_ADMIN_TOKEN`` too. ``serve`` itself is replaced in most cases: what is tested is
the configuration the command line builds, and what it prints before serving.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockgw import cli
from mockgw.config import ServerConfig
from mockgw.exposure import bind_warning, is_loopback
from tests.functional.serve_support import Server

Served = list[ServerConfig]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    """The configs ``mockgw serve`` would have served; nothing binds."""
    seen: Served = []

    async def fake_serve(config: ServerConfig, **_: Any) -> None:
        seen.append(config)

    monkeypatch.setattr(cli, "serve", fake_serve)
    monkeypatch.delenv("MOCKGW_ADMIN_TOKEN", raising=False)
    return seen


def _token(served: Served, *args: str) -> str | None:
    assert cli.main(["serve", *args]) == 0
    return served[-1].admin_token


def test_the_token_comes_from_the_environment(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKGW_ADMIN_TOKEN", "from-env")
    assert _token(served) == "from-env"


def test_an_empty_variable_is_no_token(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # What a CI system passes for an input left empty.
    monkeypatch.setenv("MOCKGW_ADMIN_TOKEN", "")
    assert _token(served) is None


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("tok\n", "tok"),
        ("tok", "tok"),
        ("tok\r\n", "tok"),
        ("tok\n\n", "tok\n"),
        (" t k ", " t k "),
    ],
)
def test_the_token_comes_from_a_file_less_one_newline(
    served: Served, tmp_path: Path, text: str, token: str
) -> None:
    path = tmp_path / "token"
    path.write_bytes(text.encode())
    assert _token(served, "--admin-token-file", str(path)) == token


def test_flags_win_over_the_environment(
    served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MOCKGW_ADMIN_TOKEN", "from-env")
    (tmp_path / "token").write_text("from-file\n")
    assert _token(served, "--admin-token", "from-argv") == "from-argv"
    assert _token(served, "--admin-token-file", str(tmp_path / "token")) == "from-file"


def test_the_two_flags_exclude_each_other(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", "--admin-token", "a", "--admin-token-file", str(tmp_path / "t")])
    assert stopped.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
    assert served == []


@pytest.mark.parametrize(
    ("setup", "args", "said"),
    [
        (None, ["--admin-token", ""], "--admin-token is empty"),
        ("", ["--admin-token-file", "{path}"], "the file is empty"),
        ("\n", ["--admin-token-file", "{path}"], "the file is empty"),
        (None, ["--admin-token-file", "{path}"], "cannot read it"),
    ],
)
def test_an_empty_or_missing_token_is_a_usage_error(
    served: Served,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str | None,
    args: list[str],
    said: str,
) -> None:
    path = tmp_path / "token"
    if setup is not None:
        path.write_text(setup)
    assert cli.main(["serve", *(a.format(path=path) for a in args)]) == 2
    assert said in capsys.readouterr().err
    assert served == []


@pytest.mark.slow
def test_a_served_token_from_the_environment_is_not_on_the_command_line(
    start_server: Callable[[list[str]], Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKGW_ADMIN_TOKEN", "env-secret-9f8e")
    server = start_server([])
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.url + "/__mockgw/requests", timeout=10)
    assert refused.value.code == 401
    request = urllib.request.Request(
        server.url + "/__mockgw/requests", headers={"Authorization": "Bearer env-secret-9f8e"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    assert b"env-secret-9f8e" not in Path(f"/proc/{server.process.pid}/cmdline").read_bytes()


# --- the bind warning ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "[fe80::1]", "devbox"])
def test_a_wide_bind_without_a_token_warns_loudly(
    served: Served, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert cli.main(["serve", "--host", host]) == 0
    assert served[-1].host == host  # warned, and still served as asked
    err = capsys.readouterr().err
    assert "WARNING" in err
    assert "NO admin token" in err
    assert "MOCKGW_ADMIN_TOKEN" in err
    assert "-p 127.0.0.1:8080:8080" in err


def test_a_wide_bind_with_a_token_still_says_so(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--host", "0.0.0.0", "--admin-token", "t"]) == 0
    assert served[-1].admin_token == "t"
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0 (every interface)" in err
    assert "NO admin token" not in err


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "a.localhost"]
)
def test_loopback_binds_do_not_warn(
    served: Served, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert is_loopback(host)
    assert bind_warning(host, token=False) is None
    assert cli.main(["serve", "--host", host]) == 0
    assert served[-1].host == host
    assert "warning" not in capsys.readouterr().err.lower()
