"""Where ``mockgw serve`` listens, and what to say when that is beyond this machine.

A mockgw bound to every interface (``--host 0.0.0.0``, as the Docker image does) with no
admin token lets anyone on the network read the journal and change scenarios; one on a
loopback address cannot be reached from elsewhere. The warning goes to standard error
at start-up, before the first stdout line scripts wait for (which never changes shape).
"""

from __future__ import annotations

import ipaddress

ENV_TOKEN = "MOCKGW_ADMIN_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a ``--host`` value) only ever means this machine."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another name may resolve to any interface: warn


def bind_warning(host: str, *, token: bool) -> str | None:
    """The warning for listening on ``host``, or None on loopback; louder without a
    ``token``, when the admin API is open to whoever reaches the port."""
    if is_loopback(host):
        return None
    everywhere = host.strip("[]") in {"0.0.0.0", "::", ""}
    where = "every interface" if everywhere else "a non-loopback address"
    if token:
        return (
            f"mockgw: warning: listening on {host} ({where}): other machines can reach the "
            "API; the admin API needs the admin token"
        )
    return (
        f"mockgw: WARNING: listening on {host} ({where}) with NO admin token: anyone who "
        "can reach this port can read the journal (prompts, headers) and change scenarios. "
        f"Set {ENV_TOKEN} or --admin-token-file, or listen on 127.0.0.1 "
        "(with Docker, publish -p 127.0.0.1:8080:8080)."
    )
