"""Who may use the admin API: the Host, Origin and token checks, in that order.

The admin API changes what every client of the server gets, and with no admin token
(the default) anything that can reach the port can use it. Two ways a web page the
developer merely visits could do that:

- **DNS rebinding**: a page on ``evil.example`` rebinds its name to 127.0.0.1 and then
  reads ``/__mockgw/requests`` as same-origin. The request still says
  ``Host: evil.example``: only names this server is known by pass (loopback names,
  the bound address, ``--allow-host``). An IP-literal Host passes, since rebinding
  needs a name (a LAN client of ``--host 0.0.0.0`` addresses the server by IP).
- **Cross-site request forgery**: a ``text/plain`` POST needs no CORS preflight, so a
  page can replace a scenario or reset the server without reading the answer. A
  browser always says where such a request comes from (``Origin``): a state-changing
  request from a page that is not this host, loopback or allowed is refused. Clients
  that are not browsers send no Origin and pass.

The token (``--admin-token``) comes last: a refusal for the Host or Origin says what to
change without revealing whether a token is set. Every refusal is admin-shaped JSON
whose message says how to allow the request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from mockgw.core.keys import bearer_token, same_secret
from mockgw.errors import ConfigError

STATE_CHANGING = frozenset({hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_PATCH, hdrs.METH_DELETE})
# Names that always mean this machine (RFC 6761 reserves localhost and its subdomains).
_LOOPBACK_NAMES = frozenset({"localhost"})
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})  # every interface: not a name
# The longest piece of a client's header quoted back in a message.
_QUOTE = 200


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def host_name(authority: str) -> str:
    """The host of a ``Host`` header or URL authority: lower case, no port, no brackets
    around an IPv6 literal, no trailing dot (``localhost.`` is ``localhost``)."""
    value = authority.strip().lower()
    if value.startswith("["):
        inside, _, _ = value[1:].partition("]")
        return inside
    name, colon, port = value.rpartition(":")
    if colon and (port.isdigit() or not port) and ":" not in name:
        value = name
    return value.rstrip(".")


def allowed_host_pattern(value: str) -> str:
    """``value`` of ``--allow-host`` in the form the guard compares: ``*``, a ``.domain``
    suffix, an IP or a name, lower case. Raises :class:`ConfigError` for anything else
    (a URL, a port, a space), so a typo does not silently allow nothing."""
    pattern = value.strip().lower()
    if pattern == "*":
        return pattern
    bare = pattern[1:] if pattern.startswith(".") else pattern
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    if _ip(bare) is not None:
        return str(_ip(bare))
    labels = bare.rstrip(".").split(".")
    if not bare or not all(
        label and all(c.isalnum() or c in "-_" for c in label) and label.isascii()
        for label in labels
    ):
        raise ConfigError(
            f"--allow-host {value!r}: expected a host name (api.test), a .domain suffix "
            "(.example.com), an IP address or '*'"
        )
    return ("." if pattern.startswith(".") else "") + bare.rstrip(".")


def _quoted(text: str) -> str:
    # Header text may hold lone surrogates (undecodable bytes): JSON escapes them, but a
    # message is for people, so they become U+FFFD.
    safe = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return safe if len(safe) <= _QUOTE else safe[: _QUOTE - 1] + "~"


def _refusal(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "mockgw_admin_error"}}, status=status
    )


class AdminGuard:
    """The checks every admin route runs before its handler (see the module docstring).

    ``bound`` is the address the server listens on (a name there is one it is known
    by); ``allowed`` are ``--allow-host`` values; ``token`` the admin token, if any.
    """

    def __init__(self, *, bound: str, allowed: Iterable[str] = (), token: str | None = None):
        patterns = [allowed_host_pattern(value) for value in allowed]
        self.any_host = "*" in patterns
        self.suffixes = tuple(p for p in patterns if p.startswith("."))
        names = {p for p in patterns if not p.startswith(".") and p != "*"} | _LOOPBACK_NAMES
        bound_name = host_name(bound)
        if bound_name not in _WILDCARD_BINDS:
            names.add(bound_name)
        self.names = frozenset(names)
        self.token = token

    def _known(self, name: str) -> bool:
        """Whether ``name`` (a host name or IP, from :func:`host_name`) is this server's."""
        return (
            self.any_host
            or name in self.names
            or name.endswith(".localhost")
            or any(name.endswith(s) or name == s[1:] for s in self.suffixes)
        )

    def host_refusal(self, request: web.Request) -> web.Response | None:
        header = request.headers.get(hdrs.HOST)
        if header is None:
            return None  # HTTP/1.0 without Host: no browser sends that
        name = host_name(header)
        if _ip(name) is not None or self._known(name):
            return None
        shown = _quoted(name)
        return _refusal(
            403,
            f"the admin API does not answer requests for Host '{shown}' (a web page could "
            "reach it by DNS rebinding); if that name is this server, start mockgw with "
            f"--allow-host {shown}",
        )

    def origin_refusal(self, request: web.Request) -> web.Response | None:
        if request.method not in STATE_CHANGING:
            return None
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or self.any_host:
            return None  # not a browser (curl, SDKs, CI scripts), or anyone is allowed
        try:
            name = host_name(urlsplit(origin.strip()).netloc)
        except ValueError:  # "http://[::1": no host to speak of
            name = ""
        if name:
            if name == host_name(request.headers.get(hdrs.HOST, "")):
                return None  # a page served by this very host (the admin UI)
            address = _ip(name)
            if (address is not None and address.is_loopback) or self._known(name):
                return None
        shown = _quoted(origin)
        fix = f"start mockgw with --allow-host {_quoted(name)}" if name else "send no Origin"
        return _refusal(
            403,
            f"the admin API does not change state for a web page from Origin '{shown}' "
            f"(cross-site request forgery); if that page is yours, {fix}",
        )

    def token_refusal(self, request: web.Request) -> web.Response | None:
        # The scheme is required: a bare "Authorization: <token>" is not accepted.
        if self.token and not same_secret(bearer_token(request.headers), self.token):
            return _refusal(401, "the admin API needs 'Authorization: Bearer <admin token>'")
        return None

    def refusal(self, request: web.Request) -> web.Response | None:
        """The answer refusing ``request``, or None when it may go on: Host, then Origin,
        then the token."""
        return (
            self.host_refusal(request)
            or self.origin_refusal(request)
            or self.token_refusal(request)
        )
