"""Network guard, loaded by Python at start-up when this folder is on PYTHONPATH (privacy tests).

When NETGUARD_LOG names a file, every attempt by this process to resolve, connect to, send to or
listen on a non-loopback address is appended to it, with the caller, whether or not the network
lets it through. Loopback and Unix sockets are allowed. It only observes: it never blocks, so a
test sees every attempt rather than only the first.
"""

import ipaddress
import os
import sys
import traceback

_LOG = os.environ.get("NETGUARD_LOG")


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]")
    if host in ("", "localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # any other host name would need a DNS lookup


def _host(event: str, args: tuple):
    if event == "socket.getaddrinfo":
        return args[0]
    if event in ("socket.connect", "socket.sendto", "socket.bind"):
        address = args[1]
        if isinstance(address, tuple) and address:
            return address[0]
    if event == "socket.gethostbyname":
        return args[0]
    return None  # Unix sockets and other events


def _hook(event: str, args: tuple) -> None:
    if not event.startswith("socket."):
        return
    host = _host(event, args)
    if event == "socket.bind" and host in ("", "0.0.0.0", "::"):
        host = "0.0.0.0 (all interfaces)"
    if _is_local(host):
        return
    caller = "".join(traceback.format_stack(limit=8)[:-1])
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {event} {host!r} argv={sys.argv[:3]}\n{caller}\n")


if _LOG:
    sys.addaudithook(_hook)
