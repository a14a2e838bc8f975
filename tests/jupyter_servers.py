"""Helpers of the tests that start Jupyter servers (make lab, make serve): free ports, their logs."""

from __future__ import annotations

import re
import socket

# A browser tab closed while the server writes to its websocket (a test moves from page to page, or
# closes the page) leaves tornado's "Task exception was never retrieved ... WebSocketClosedError":
# noise of the closed tab, not an error a reader or learner sees.
_CLOSED_WEBSOCKET = re.compile(r"Task exception was never retrieved\n(?:(?!\[[A-Z] ).*\n)*?tornado\.websocket\."
                               r"WebSocketClosedError\n")


def without_closed_websocket_noise(log: str) -> str:
    """``log`` without the tracebacks of writes to a websocket whose tab had closed; any other stays."""
    return _CLOSED_WEBSOCKET.sub("", log)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
