"""Loaded at start-up by a Python whose PYTHONPATH holds this folder: every name lookup and connection
to a host other than this machine is appended to the file $TRACTATUS_TEST_OUTSIDE_LOG, one per line.
Nothing is blocked (the machine's closed network does that); the test reads the file afterwards."""

import os
import socket
import sys

LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}  # noqa: S104 (names compared, not bound)
LOG = os.environ.get("TRACTATUS_TEST_OUTSIDE_LOG")


def _record(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event == "socket.connect" and getattr(args[0], "family", None) in (socket.AF_INET, socket.AF_INET6):
        host = args[1][0]  # type: ignore[index]
    else:
        return
    if isinstance(host, bytes):
        host = host.decode()
    if host is not None and str(host) not in LOCAL and LOG:
        with open(LOG, "a") as log:  # noqa: PTH123 (keeps this hook free of imports)
            log.write(f"{event} {host}\n")


if LOG:
    sys.addaudithook(_record)
