"""Live code in the page: ``make serve`` serves the book and a Jupyter server; a chapter's cells run in it.

One ``make serve`` on free ports for the module (``tools/serve.py``), one Debian chromium
driven by Playwright, every non-local request blocked and recorded. "Live code" is pressed
on the gradient-descent chapter, where a learning rate is changed in a cell that is then
run, and on the multivariable chapter, whose ipywidgets explorer (early in the chapter)
must follow its slider. Then the Jupyter server must refuse requests without the token,
from another origin or for another host name, and a Ctrl-C must stop the servers and
every kernel. Without ``make serve`` (``file://``, a static server, ``make serve LIVE=0``)
the button explains how to make the page live and loads nothing.

The tests run in order in one xdist group; the last one stops the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bookpages import HTML, ROOT, static_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jupyter_servers import free_port, without_closed_websocket_noise  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live")]

CHAPTER = "book/05-gradient-descent"
# The article's gradient descent in that chapter: ten steps from w = 10 on L(w) = w^2.
ARTICLE_CALL = "gradient_descent(gradient, 0.1, 10)"
# An explorer early in its chapter (the gradient-descent chapter's comes after 30 cells).
EXPLORER_CHAPTER = "book/04-multivariable"
EXPLORER_CALL = "explorer(draw_direction"
STARTUP_SECONDS = 240
FIRST_CELL_SECONDS = 180
CHAPTER_SECONDS = 300
STOP_SECONDS = 60
TIMINGS: dict[str, float] = {}


def free_port_pair() -> tuple[int, int]:
    """Two free ports (the book's and the Jupyter server's)."""
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def fetch(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def processes_matching(pattern: str) -> dict[int, str]:
    """Live processes (not zombies) whose command line contains ``pattern``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if pattern in command and state != "Z":
            found[int(entry.name)] = command.strip()
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Serve:
    """``make serve PORT=.. JUPYTER_PORT=..`` in its own process group, its output in a log file."""

    def __init__(self, log: Path, live: bool = True) -> None:
        self.port, self.jupyter_port = free_port_pair()
        self.log = log
        command = ["make", "--no-print-directory", "serve", f"PORT={self.port}", f"JUPYTER_PORT={self.jupyter_port}"]
        if not live:
            command.append("LIVE=0")
        with open(log, "wb") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.jupyter = f"http://127.0.0.1:{self.jupyter_port}"
        self.config: dict = {}

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until(self, ready) -> dict:
        """Poll /_live/config.json until ``ready(status, body)``; fail naming what make serve printed."""
        started = time.monotonic()
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"make serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, _, body = fetch(f"{self.base}/_live/config.json")
                answer = json.loads(body)
                if ready(status, answer):
                    return answer
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            if time.monotonic() - started > STARTUP_SECONDS:
                pytest.fail(f"make serve was not ready within {STARTUP_SECONDS} s:\n{self.output()}")
            time.sleep(0.5)

    def interrupt(self) -> int:
        """Ctrl-C in the terminal: SIGINT to make's whole process group; its exit status."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            pytest.fail(f"make serve did not stop within {STOP_SECONDS} s of Ctrl-C:\n{self.output()}")


@pytest.fixture(scope="module")
def serve(built_book: Path, tmp_path_factory):
    server = Serve(tmp_path_factory.mktemp("serve") / "serve.log")
    started = time.monotonic()
    try:
        server.config = server.wait_until(lambda status, body: status == 200 and body.get("live") is True)
        TIMINGS["make serve ready"] = time.monotonic() - started
        yield server
    finally:
        server.interrupt()
        print("\nlive code timings (s):", json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))


class Recorder:
    """A browser context whose pages may reach 127.0.0.1 and localhost only; every other request is
    blocked and recorded, and so is every request at all (``requests``) and every websocket."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.requests: list[str] = []
        self.websockets: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.websockets.append(socket.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("file", "data", "blob", "about") or url.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort()

    def non_local(self) -> list[str]:
        local = ("127.0.0.1", "localhost")
        return self.blocked + [url for url in self.websockets if urlparse(url).hostname not in local]


def status_text(page) -> str:
    box = page.locator("[data-mlcalc-live-status]")
    return box.inner_text() if box.count() else "(no status shown)"


def press_live_code(page) -> None:
    button = page.locator("button[data-mlcalc-live]")
    assert button.count() == 1, f"the page has {button.count()} 'Live code' buttons"
    button.click()


# --------------------------------------------------------------------------- without make serve

@pytest.mark.parametrize("edition", ["", "zh/"], ids=["en", "zh"])
def test_file_page_button_explains_and_loads_nothing(chromium, built_book: Path, edition: str) -> None:
    recorder = Recorder(chromium)
    page = recorder.page
    try:
        page.goto((HTML / f"{edition}{CHAPTER}.html").as_uri(), wait_until="load")
        assert not [url for url in recorder.requests if "/thebe/" in url], "Thebe loaded before the button was pressed"
        before = len(recorder.requests)
        press_live_code(page)
        page.wait_for_selector("[data-mlcalc-live-status][data-state=static]", timeout=10_000)
        message = status_text(page)
        assert "make serve" in message, f"the explanation does not name make serve: {message!r}"
        if edition == "zh/":
            assert re.search(r"[\u4e00-\u9fff]", message), f"the Chinese page explains in English: {message!r}"
            label = page.locator("button[data-mlcalc-live]").inner_text()
            assert re.search(r"[\u4e00-\u9fff]", label), f"the Chinese button reads {label!r}"
        assert recorder.requests[before:] == [], f"pressing the button made requests: {recorder.requests[before:]}"
        assert not recorder.non_local(), f"non-local requests: {recorder.non_local()}"
        assert not recorder.errors, f"JavaScript errors: {recorder.errors}"
    finally:
        recorder.context.close()


def test_static_host_button_explains(chromium, built_book: Path) -> None:
    """Served by a plain static server (no /_live/config.json): one same-origin question, then the explanation."""
    with static_server(built_book) as base:
        recorder = Recorder(chromium)
        try:
            page = recorder.page
            page.goto(f"{base}/{CHAPTER}.html", wait_until="load")
            before = len(recorder.requests)
            press_live_code(page)
            page.wait_for_selector("[data-mlcalc-live-status][data-state=static]", timeout=30_000)
            asked = [urlparse(url).path for url in recorder.requests[before:]]
            assert asked == ["/_live/config.json"], f"pressing the button requested {asked}"
            assert "make serve" in status_text(page)
            assert not recorder.non_local() and not recorder.errors, (recorder.non_local(), recorder.errors)
        finally:
            recorder.context.close()


def test_static_only_serve_explains(chromium, built_book: Path, tmp_path: Path) -> None:
    """``make serve LIVE=0`` starts no Jupyter server; the button says how to get live code."""
    server = Serve(tmp_path / "serve.log", live=False)
    recorder = Recorder(chromium)
    try:
        assert server.wait_until(lambda status, body: status == 200) == {"live": False}
        assert not processes_matching(f"--ServerApp.port={server.jupyter_port}"), "LIVE=0 started a Jupyter server"
        recorder.page.goto(f"{server.base}/{CHAPTER}.html", wait_until="load")
        press_live_code(recorder.page)
        recorder.page.wait_for_selector("[data-mlcalc-live-status][data-state=static-server]", timeout=30_000)
        assert "LIVE=0" in status_text(recorder.page)
        assert not [url for url in recorder.requests if "/thebe/" in url], "Thebe loaded without a kernel to use"
    finally:
        recorder.context.close()
        server.interrupt()  # make itself dies of the SIGINT, as after a Ctrl-C; serve.py stops cleanly
        assert "Traceback" not in server.output(), server.output()


# --------------------------------------------------------------------------- make serve

def test_config_only_for_the_books_own_pages(serve: Serve) -> None:
    status, headers, body = fetch(f"{serve.base}/_live/config.json")
    config = json.loads(body)
    assert status == 200 and config["baseUrl"] == f"{serve.jupyter}/" and len(config["token"]) >= 32, config
    assert "Access-Control-Allow-Origin" not in headers, "another origin could read the token"
    assert headers.get("Cache-Control") == "no-store"
    for name, value in (("Host", f"attacker.example:{serve.port}"), ("Sec-Fetch-Site", "cross-site")):
        status, _, body = fetch(f"{serve.base}/_live/config.json", headers={name: value})
        assert status == 403 and config["token"].encode() not in body, f"{name}: {value} got {status}: {body!r}"
    # A new token at each start, and never written into the built book.
    offenders = [str(path.relative_to(HTML)) for path in HTML.rglob("*")
                 if path.suffix in (".html", ".js", ".json") and config["token"] in path.read_text(errors="replace")]
    assert not offenders, f"the token is in {offenders}"


def open_live(serve: Serve, recorder: Recorder, chapter: str) -> float:
    """Open ``chapter`` through make serve and press "Live code"; the time pressed (time.monotonic)."""
    page = recorder.page
    page.goto(f"{serve.base}/{chapter}.html", wait_until="load")
    assert not [url for url in recorder.requests if "/thebe/" in url], "Thebe loaded before the button was pressed"
    pressed = time.monotonic()
    press_live_code(page)
    try:
        page.wait_for_selector(".thebe-cell[data-mlcalc-live-state=done]", state="attached",
                               timeout=FIRST_CELL_SECONDS * 1000)
    except Exception:
        pytest.fail(f"{chapter}: no cell had run {FIRST_CELL_SECONDS} s after pressing the button; the page says "
                    f"{status_text(page)!r}; errors {recorder.errors}; make serve:\n{serve.output()}")
    return pressed


def check_stayed_local(serve: Serve, recorder: Recorder) -> None:
    assert not recorder.non_local(), f"non-local requests were attempted: {recorder.non_local()}"
    assert recorder.websockets and all(urlparse(url).port == serve.jupyter_port for url in recorder.websockets), \
        f"websockets: {recorder.websockets}"
    state = recorder.page.locator("[data-mlcalc-live-status]").get_attribute("data-state")
    assert state in ("running", "ready") and not recorder.errors, \
        f"the page says {status_text(recorder.page)!r}; JavaScript errors: {recorder.errors}"


def test_live_chapter_runs_every_cell_and_an_edited_one(serve: Serve, chromium) -> None:
    recorder = Recorder(chromium)
    page = recorder.page
    try:
        pressed = open_live(serve, recorder, CHAPTER)
        TIMINGS["button to first cell"] = time.monotonic() - pressed
        print(f"\nlive code: {TIMINGS['button to first cell']:.1f} s from pressing the button to the first cell run")
        # Every code cell of the notebook runs, the removed ones too (they define what later cells use).
        notebook = json.loads(fetch(f"{serve.base}/_sources/{CHAPTER}.ipynb")[2])
        code_cells = sum(1 for cell in notebook["cells"]
                         if cell["cell_type"] == "code" and "".join(cell["source"]).strip())
        running = re.search(r"(\d+)\D+(\d+)", status_text(page))
        assert running and int(running.group(2)) == code_cells, \
            f"the page runs {running and running.group(2)} cells of the notebook's {code_cells}: {status_text(page)!r}"
        editable = page.locator(".thebe-cell").count()
        assert 0 < editable < code_cells, f"{editable} editable cells for {code_cells} code cells (some are removed)"

        # Change the learning rate of the article's gradient descent (0.1 -> 0.2) and run the cell.
        cell = live_cell(page, ARTICLE_CALL)
        output = page.locator(".cell", has=cell).locator(".mlcalc-live-output")
        page.wait_for_function("cell => ['done', 'error'].includes(cell.dataset.mlcalcLiveState)",
                               arg=cell.element_handle(), timeout=CHAPTER_SECONDS * 1000)
        assert page.locator(".cell", has=cell).locator(".cell_output").is_hidden(), "the static output is still shown"
        first = output.inner_text()
        assert abs(printed_minimum(first) - 10 * 0.8**10) < 1e-9, first
        select = ("([cell, call]) => { const cm = cell.querySelector('.CodeMirror').CodeMirror;"
                  " const at = cm.getValue().indexOf(call) + call.indexOf('0.1');"
                  " cm.focus(); cm.setSelection(cm.posFromIndex(at), cm.posFromIndex(at + 3)); }")
        page.evaluate(select, [cell.element_handle(), ARTICLE_CALL])
        page.keyboard.type("0.2")  # typed into the editor: fails if the cell is not editable
        source = cell.evaluate("cell => cell.querySelector('.CodeMirror').CodeMirror.getValue()")
        assert "gradient_descent(gradient, 0.2, 10)" in source, f"typing did not change the cell: {source!r}"
        cell.locator("button.thebe-run-button").click()
        page.wait_for_function(
            "([box, old]) => { const t = box.innerText; return t.includes('Minimum of loss function') && t !== old; }",
            arg=[output.element_handle(), first], timeout=120_000)
        changed = output.inner_text()
        assert abs(printed_minimum(changed) - 10 * 0.6**10) < 1e-9, f"after eta 0.1 -> 0.2 the cell printed {changed!r}"
        TIMINGS["button to edited cell run"] = time.monotonic() - pressed
        check_stayed_local(serve, recorder)
    finally:
        recorder.context.close()


def test_live_explorer_follows_its_slider(serve: Serve, chromium) -> None:
    recorder = Recorder(chromium)
    page = recorder.page
    try:
        pressed = open_live(serve, recorder, EXPLORER_CHAPTER)
        explorer = live_cell(page, EXPLORER_CALL)
        output = page.locator(".cell", has=explorer).locator(".mlcalc-live-output")
        try:
            output.locator(".widget-slider .noUi-handle").first.wait_for(timeout=CHAPTER_SECONDS * 1000)
            output.locator("img").first.wait_for(timeout=120_000)
        except Exception:
            pytest.fail(f"the explorer did not appear; the page says {status_text(page)!r}, the cell shows "
                        f"{output.inner_text()[:500]!r}; errors {recorder.errors}")
        TIMINGS["button to explorer"] = time.monotonic() - pressed
        figure = output.locator("img").first
        before = figure.get_attribute("src")
        output.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        try:
            page.wait_for_function(
                "([box, old]) => { const img = box.querySelector('img'); return img && img.src !== old; }",
                arg=[output.element_handle(), before], timeout=120_000)
        except Exception:
            pytest.fail(f"moving the slider did not change the figure; the cell shows {output.inner_text()[:500]!r}")
        check_stayed_local(serve, recorder)
    finally:
        recorder.context.close()


def live_cell(page, call: str):
    """The editable cell whose code contains ``call`` (by the editor's content: CodeMirror may not
    have drawn lines out of view)."""
    indices = page.evaluate(
        "call => Array.from(document.querySelectorAll('.thebe-cell')).filter(box =>"
        " box.querySelector('.CodeMirror').CodeMirror.getValue().includes(call)).map(box => box.dataset.mlcalcCell)",
        call)
    assert len(indices) == 1, f"{len(indices)} editable cells contain {call!r}"
    return page.locator(f'.thebe-cell[data-mlcalc-cell="{indices[0]}"]')


def printed_minimum(text: str) -> float:
    found = re.search(r"Minimum of loss function:\s+(\S+)", text)
    assert found, f"the cell printed no minimum: {text!r}"
    return float(found.group(1))


def websocket_status(url: str, origin: str) -> int:
    """101 when the websocket opens, else the HTTP status of the refusal. (In a thread of its own:
    Playwright's event loop runs in this one.)"""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def connect() -> int:
        try:
            connection = await websocket_connect(HTTPRequest(url, headers={"Origin": origin}, request_timeout=30))
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, connect()).result(timeout=60)


def test_jupyter_refuses_without_token_other_origins_and_hosts(serve: Serve) -> None:
    token, own = serve.config["token"], serve.base
    kernels = f"{serve.jupyter}/api/kernels"
    status, headers, body = fetch(kernels, {"Authorization": f"token {token}", "Origin": own})
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == own, (status, headers)
    running = json.loads(body)
    if not running:  # the chapter test was not run: start one kernel to connect to
        status, _, body = fetch(kernels, {"Authorization": f"token {token}"}, method="POST")
        running = [json.loads(body)]
    refusals = {
        "no token": fetch(kernels, {"Origin": own}),
        "a wrong token": fetch(kernels, {"Authorization": "token " + "0" * len(token)}),
        "another origin": fetch(kernels, {"Authorization": f"token {token}", "Origin": "http://attacker.example"}),
        "another port of this machine": fetch(kernels, {"Authorization": f"token {token}",
                                                        "Origin": f"http://localhost:{free_port()}"}),
        "another host name": fetch(kernels, {"Authorization": f"token {token}",
                                             "Host": f"attacker.example:{serve.jupyter_port}"}),
    }
    for what, (status, headers, body) in refusals.items():
        assert status in (401, 403, 404), f"a request with {what} got {status}: {body[:200]!r}"
        assert running[0]["id"].encode() not in body, f"a request with {what} listed the kernels"
        assert "Access-Control-Allow-Origin" not in headers, f"a request with {what} was allowed CORS"

    channels = f"ws://127.0.0.1:{serve.jupyter_port}/api/kernels/{running[0]['id']}/channels"
    assert websocket_status(f"{channels}?token={token}", own) == 101, "the book's own websocket failed"
    assert websocket_status(f"{channels}?token={token}", "http://attacker.example") == 403
    assert websocket_status(channels, own) == 403, "a websocket without the token was accepted"


def test_ctrl_c_stops_the_servers_and_every_kernel(serve: Serve) -> None:
    token = serve.config["token"]
    status, _, body = fetch(f"{serve.jupyter}/api/kernels", {"Authorization": f"token {token}"})
    kernels = [kernel["id"] for kernel in json.loads(body)]
    if not kernels:  # the pages closed theirs: one more to stop
        status, _, body = fetch(f"{serve.jupyter}/api/kernels", {"Authorization": f"token {token}"}, method="POST")
        kernels = [json.loads(body)["id"]]
    assert status in (200, 201) and kernels, f"no kernel is running to be stopped ({status}: {body[:200]!r})"
    server = processes_matching(f"--ServerApp.port={serve.jupyter_port}")
    kernel_processes = {pid: command for kernel in kernels for pid, command in processes_matching(kernel).items()}
    assert server, "the Jupyter server's process was not found"
    assert len(kernel_processes) >= len(kernels), f"kernel processes {kernel_processes} for kernels {kernels}"

    started = time.monotonic()
    serve.interrupt()
    TIMINGS["Ctrl-C to stopped"] = time.monotonic() - started
    left = {pid: command for pid, command in {**server, **kernel_processes}.items() if alive(pid)}
    assert not left, f"still running after Ctrl-C: {left}"
    for port in (serve.port, serve.jupyter_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers after Ctrl-C"
    # Neither server failed (a kernel's own log, e.g. of a cell cut short by a closing page, may hold one).
    crashed = re.search(r'File "[^"]*(tools/serve\.py|jupyter_server/|tornado/)',
                        without_closed_websocket_noise(serve.log.read_text(errors="replace")))
    assert not crashed, f"a server failed:\n{serve.output()}"
