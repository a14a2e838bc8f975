"""``make serve``: the built book on http://127.0.0.1:PORT, and beside it a Jupyter server for live code.

The book's pages are static files. A chapter's "Live code" button turns its code cells
into editable cells that run in a Python kernel (``tools/sphinx/static/live-code.js``);
this script provides that kernel:

* a static file server for ``_build/html`` on 127.0.0.1:PORT (this process);
* a Jupyter server on 127.0.0.1:JUPYTER_PORT (a child process) whose kernels are the
  project's Python (``.venv``), started in ``book/`` as in ``make lab``.

Who may use the Jupyter server: it binds 127.0.0.1 only, requires a token drawn at
random at each start (passed to it in its environment, never on a command line, never
written to ``_build``), and accepts requests and websockets from no other origin than
the book's own (``http://127.0.0.1:PORT`` or ``http://localhost:PORT``), even with the
right token (Jupyter's own default skips that check then). The page learns
the address and the token from ``/_live/config.json``, which this server answers only
to a same-origin request with the book's own Host (a page of another site cannot read
it, and a DNS-rebinding name is refused). The user's own Jupyter configuration is not
read (``JUPYTER_NO_CONFIG``), so nothing there can loosen these settings or load
server extensions.

Ctrl-C or SIGTERM stops both servers and every kernel. Should this process be killed
outright, the kernel of Linux sends the Jupyter server SIGTERM (``PR_SET_PDEATHSIG``),
and it shuts its kernels down itself.

Usage: python tools/serve.py [--port 8000] [--jupyter-port 8001] [--static-only]
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import functools
import http.server
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
KERNEL_FOLDER = ROOT / "book"
CONFIG_PATH = "/_live/config.json"
KERNEL_NAME = "python3"
STARTUP_SECONDS = 120
STOP_SECONDS = 20
# The first argument with which this script runs the Jupyter server (in a child process).
JUPYTER_CHILD = "--jupyter-server-process"
# Kernels whose page was closed without shutting them down (a crashed browser) are stopped
# after this long without activity and without a connection.
IDLE_KERNEL_SECONDS = 1800


class ServeError(Exception):
    """A problem the user can fix; printed as ``error: ...`` without a traceback."""


class LiveState:
    """What ``/_live/config.json`` answers; shared between the two servers' threads."""

    def __init__(self, live: bool, port: int, jupyter_port: int, token: str) -> None:
        self.live = live
        self.ready = threading.Event()
        self.failed: str | None = None
        self.allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.config = {
            "baseUrl": f"http://127.0.0.1:{jupyter_port}/",
            "wsUrl": f"ws://127.0.0.1:{jupyter_port}/",
            "token": token,
            "kernelName": KERNEL_NAME,
        }


class BookHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of the book, plus ``/_live/config.json`` for the book's own pages."""

    state: LiveState

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] == CONFIG_PATH:
            self.send_live_config()
        else:
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] == CONFIG_PATH:
            self.send_json(405, {"error": "GET only"})
        else:
            super().do_HEAD()

    def send_live_config(self) -> None:
        host = self.headers.get("Host", "")
        if host not in self.state.allowed_hosts:
            self.send_json(403, {"error": f"Host {host!r} is not the book's own address"})
            return
        # Browsers say where a request comes from; only the book's own pages (or the reader typing the
        # address) may ask. Reading the answer from another origin is impossible anyway (no CORS headers).
        site = self.headers.get("Sec-Fetch-Site")
        if site not in (None, "same-origin", "none"):
            self.send_json(403, {"error": f"cross-origin request ({site})"})
            return
        if not self.state.live:
            self.send_json(200, {"live": False})
        elif self.state.failed:
            self.send_json(503, {"live": True, "error": self.state.failed})
        elif not self.state.ready.is_set():
            self.send_json(503, {"live": True, "starting": True})
        else:
            self.send_json(200, {"live": True, **self.state.config})

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        pass  # one line per file would drown the Jupyter server's messages


def static_server(port: int, state: LiveState) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(type("Handler", (BookHandler,), {"state": state}), directory=str(HTML))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} is busy (another 'make serve'?): choose another, "
                             f"e.g. make serve PORT={port + 10}") from None
        raise ServeError(f"cannot serve on 127.0.0.1:{port}: {error}") from None
    server.daemon_threads = True
    return server


def ensure_port_free(port: int, variable: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} for the Jupyter server is busy: choose another, "
                                 f"e.g. make serve {variable}={port + 10}") from None
            raise ServeError(f"cannot use 127.0.0.1:{port} for the Jupyter server: {error}") from None


def _die_with_parent() -> None:
    """In the Jupyter server's process, before exec: SIGTERM when this script dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: Ctrl-C and SIGTERM still stop it through stop_jupyter


def run_jupyter_server(arguments: list[str]) -> None:
    """The Jupyter server's process: ``jupyter server`` with an identity provider that checks origins.

    Jupyter skips the Origin check of a request that carries the right token (the token is the
    secret); here the token is handed to the book's pages, so the origin is checked always, for
    requests and websockets alike: only the book's own pages, or clients that send no Origin
    (scripts, which still need the token), are answered."""
    from jupyter_server.auth.identity import PasswordIdentityProvider
    from jupyter_server.serverapp import ServerApp

    class BookOriginOnly(PasswordIdentityProvider):
        def should_check_origin(self, handler) -> bool:
            return True

    # Kernel websockets are pinged every 30 s; Jupyter's default timeout (3 pings) makes tornado warn.
    ServerApp.launch_instance(argv=arguments, identity_provider_class=BookOriginOnly,
                              tornado_settings={"ws_ping_timeout": 30_000})


def jupyter_command(port: int, jupyter_port: int) -> list[str]:
    origins = rf"^http://(127\.0\.0\.1|localhost):{port}$"
    command = [
        sys.executable, str(Path(__file__).resolve()), JUPYTER_CHILD, "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={jupyter_port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={KERNEL_FOLDER}",
        f"--ServerApp.allow_origin_pat={origins}", "--ServerApp.allow_remote_access=False",
        "--ServerApp.allow_credentials=False", "--ServerApp.terminals_enabled=False",
        f"--MappingKernelManager.cull_idle_timeout={IDLE_KERNEL_SECONDS}",
        "--MappingKernelManager.cull_interval=300",
        # Kernels talk to the server through Unix sockets in the user's runtime folder, not TCP ports.
        "--KernelManager.transport=ipc",
        "--ServerApp.log_level=WARN",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def start_jupyter(port: int, jupyter_port: int, token: str) -> subprocess.Popen:
    env = dict(os.environ, JUPYTER_TOKEN=token, JUPYTER_NO_CONFIG="1")
    env.pop("MPLBACKEND", None)  # figures inline, as in make lab (make test sets Agg)
    # Its own session: a Ctrl-C in the terminal reaches this script, which stops the server
    # without the Jupyter server's interactive "Shut down? (y/[n])" prompt.
    return subprocess.Popen(jupyter_command(port, jupyter_port), cwd=KERNEL_FOLDER, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)


def api(jupyter_port: int, token: str, path: str, method: str = "GET") -> object:
    request = urllib.request.Request(f"http://127.0.0.1:{jupyter_port}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def wait_for_jupyter(process: subprocess.Popen, jupyter_port: int, token: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not stop.is_set():
        if process.poll() is not None:
            raise ServeError(f"the Jupyter server exited with status {process.returncode} (its messages are "
                             "above); the book is still served, without live code")
        try:
            api(jupyter_port, token, "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            raise ServeError(f"the Jupyter server did not answer within {STARTUP_SECONDS} s")
        stop.wait(0.2)


def stop_jupyter(process: subprocess.Popen) -> None:
    """SIGTERM: the Jupyter server shuts all its kernels down (at once) and exits; SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def serve(port: int, jupyter_port: int, live: bool) -> None:
    if not (HTML / "index.html").exists():
        raise ServeError(f"{(HTML / 'index.html').relative_to(ROOT)} does not exist; run 'make book' first.")
    if live and jupyter_port == port:
        raise ServeError(f"JUPYTER_PORT={jupyter_port} is the book's own PORT: choose another")
    token = secrets.token_urlsafe(32)
    state = LiveState(live, port, jupyter_port, token)
    server = static_server(port, state)
    if live:
        ensure_port_free(jupyter_port, "JUPYTER_PORT")

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    jupyter = start_jupyter(port, jupyter_port, token) if live else None
    thread = threading.Thread(target=server.serve_forever, name="book", daemon=True)
    thread.start()
    print(f"Serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        if jupyter is not None:
            try:
                wait_for_jupyter(jupyter, jupyter_port, token, stop)
            except ServeError as error:
                state.failed = str(error)
                print(f"error: {error}", file=sys.stderr, flush=True)
            else:
                state.ready.set()
                if not stop.is_set():
                    print(f"Live code: a Jupyter server on 127.0.0.1:{jupyter_port} runs the chapters' code "
                          f"(kernel {sys.executable}, folder {KERNEL_FOLDER.relative_to(ROOT)}/). "
                          "Press 'Live code' on a chapter page.", flush=True)
        else:
            print("Static pages only (LIVE=0): the 'Live code' button explains how to start the kernel.",
                  flush=True)
        while not stop.wait(1.0):
            if jupyter is not None and state.ready.is_set() and jupyter.poll() is not None:
                state.failed = f"the Jupyter server exited with status {jupyter.returncode}"
                state.ready.clear()
                print(f"error: {state.failed}; the book is still served, without live code",
                      file=sys.stderr, flush=True)
    finally:
        print("Stopping ...", flush=True)
        server.shutdown()
        server.server_close()
        if jupyter is not None:
            stop_jupyter(jupyter)


def main() -> int:
    if sys.argv[1:2] == [JUPYTER_CHILD]:
        run_jupyter_server(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="the book's port (default 8000)")
    parser.add_argument("--jupyter-port", type=int, help="the Jupyter server's port (default: PORT + 1)")
    parser.add_argument("--static-only", action="store_true", help="serve the pages without a Jupyter server")
    arguments = parser.parse_args()
    for name, value in (("PORT", arguments.port), ("JUPYTER_PORT", arguments.jupyter_port)):
        if value is not None and not 0 < value < 65536:
            print(f"error: {name}={value} is not a port number (1-65535)", file=sys.stderr)
            return 2
    jupyter_port = arguments.jupyter_port if arguments.jupyter_port is not None else arguments.port + 1
    try:
        serve(arguments.port, jupyter_port, live=not arguments.static_only)
    except ServeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
