"""The learner's path in JupyterLab, in a real browser against the lab that ``make lab`` starts.

``make lab LAB_OPTS="--no-browser --port=N --IdentityProvider.token=T"`` runs
exactly the learner's command, headless; Debian's chromium, driven by
Playwright, reads and runs chapters, moves a widget slider with the keyboard,
fills in one part of an assignment and validates it. No tracked file it opens
(chapters, the assignment's release and source) may change, not even its mtime,
and none of the instructor's tools may show.

The tests share one server and one page and run in order (one xdist group).
The learner's work goes into a scratch folder of ``my-exercises/`` (ignored by
git) that is removed afterwards; the lab's user settings and workspaces live in
a temporary folder so that a developer's own lab state plays no part.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from headless_chromium import launch_chromium  # noqa: E402
from jupyter_servers import free_port, without_closed_websocket_noise  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lab")]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = uuid.uuid4().hex
SECOND_CHAPTER = "book/10-deep-learning.md"
# The tracked files the test opens: the chapters, and the assignment whose copy it fills in.
OPENED = ["book/01-limits.md", SECOND_CHAPTER, "exercises/01-limits/limits.ipynb",
          "solutions/01-limits/limits.ipynb"]
STARTUP_SECONDS = 180
RUN_ALL_SECONDS = 150
TIMINGS: dict[str, float] = {}


def tracked_state() -> dict[str, tuple[str, str, int]]:
    """For every tracked file the lab opens: its ``git status --porcelain``, hash and mtime.

    Only these files: other work in the same checkout (another editor, a commit) may change the
    rest of book/, exercises/ and solutions/ while the test runs.
    """
    state = {}
    for relative in OPENED:
        path = ROOT / relative
        status = subprocess.run(["git", "status", "--porcelain", "--", relative], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
        state[relative] = (status, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return state


@pytest.fixture(scope="module")
def before_state():
    return tracked_state()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, before_state):
    """``make lab`` in headless mode: yields its base URL; stopped (with its kernels) afterwards."""
    state = tmp_path_factory.mktemp("lab-state")
    port = free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"))
    env.pop("MPLBACKEND", None)  # make test sets Agg; a learner's kernels show figures inline
    log_path = state / "lab.log"
    command = ["make", "--no-print-directory", "lab",
               f"LAB_OPTS=--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={TOKEN}"]
    started = TIMINGS["make lab"] = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"make lab exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() - started > STARTUP_SECONDS:
                pytest.fail(f"make lab did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        TIMINGS["server answers"] = time.monotonic() - started
        yield base
    finally:
        TIMINGS.pop("make lab")
        print("\nlab timings (s):", json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log = log_path.read_text(errors="replace")
        log = without_closed_websocket_noise(log)  # any other traceback fails the test
        assert "Traceback" not in log, f"the lab's log has a traceback:\n{log[log.find('Traceback') - 600:][:4000]}"


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


@pytest.fixture(scope="module")
def scratch_exercise():
    """A fresh copy of assignment 1 in my-exercises/ (where make lab puts the learner's copies)."""
    folder = ROOT / "my-exercises" / f"lab-test-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "01-limits" / "limits.ipynb", folder / "limits.ipynb")
    yield folder.relative_to(ROOT) / "limits.ipynb"
    shutil.rmtree(folder)


def api(lab: str, path: str):
    return json.load(urllib.request.urlopen(f"{lab}{path}{'&' if '?' in path else '?'}token={TOKEN}", timeout=30))


def open_in_lab(page, lab: str, path: str) -> None:
    """Open ``path`` in a fresh workspace (one tab) and wait until its kernel is idle."""
    page.goto(f"{lab}/lab/workspaces/test-{uuid.uuid4().hex[:8]}/tree/{path}?token={TOKEN}")
    # Windowing "defer" (tools/lab/settings/overrides.json) attaches every cell once the page is
    # idle; the status bar's "Cell i/n" gives the notebook's number of cells.
    page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".map(e => /^Cell \\d+\\/(\\d+)$/.exec(e.textContent.trim())).find(Boolean);"
        " return m && document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')"
        ".length === Number(m[1]); }", timeout=120_000)
    wait_for_kernel_idle(page)


def wait_for_kernel_idle(page, timeout: float = 60) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".some(e => /\\| Idle$/.test(e.textContent.trim()))", timeout=timeout * 1000)


def scroll_until(page, locator, steps: int = 400) -> None:
    """Scroll the open notebook down until ``locator`` matches, or it stays at its end for 2 s.

    Cells grow as their markdown renders on coming into view, so the end moves while scrolling.
    """
    outer = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").first
    at_end_for = 0
    for _ in range(steps):
        if locator.count():
            return
        at_end = outer.evaluate("e => { const end = e.scrollTop + e.clientHeight >= e.scrollHeight - 2;"
                                " e.scrollBy(0, e.clientHeight * 0.8); return end; }")
        at_end_for = at_end_for + 1 if at_end else 0
        if at_end_for > 20:
            return
        page.wait_for_timeout(100)


def dirty_tabs(page) -> list[str]:
    return page.eval_on_selector_all(".lm-TabBar-tab.jp-mod-dirty .lm-TabBar-tabLabel",
                                     "els => els.map(e => e.textContent)")


def run_all(page) -> float:
    """Run > Run All Cells; wait until every code cell has run; return the seconds it took."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    started = time.monotonic()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".jp-CodeCell .jp-InputArea .jp-InputPrompt')].map(e => e.textContent.trim());"
        " return p.length > 0 && p.every(t => /^\\[\\d+\\]:$/.test(t)); }",
        timeout=RUN_ALL_SECONDS * 1000, polling=250)
    elapsed = time.monotonic() - started
    wait_for_kernel_idle(page)
    return elapsed


def error_outputs(page) -> list[str]:
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent).filter(t => /Traceback|Error/.test(t)).map(t => t.slice(0, 800))")


# --------------------------------------------------------------------------- tests


def test_lab_is_rooted_at_the_repository_with_chapter_1_first(lab) -> None:
    for folder in ("book", "exercises", "my-exercises"):
        assert api(lab, f"/api/contents/{folder}?content=0")["type"] == "directory", folder
    redirect = urllib.request.urlopen(f"{lab}/?token={TOKEN}", timeout=30).geturl()
    assert "/lab/tree/book/01-limits.md" in redirect, f"the start page is {redirect}"
    copies = {item["name"] for item in api(lab, "/api/contents/my-exercises")["content"]}
    assert "01-limits" in copies, f"make lab did not copy the assignments into my-exercises/: {copies}"


def test_instructor_tools_are_absent(lab, page) -> None:
    open_in_lab(page, lab, "book/01-limits.md")
    TIMINGS.setdefault("make lab to chapter 1 ready", time.monotonic() - TIMINGS["make lab"])
    for path in ("/formgrader", "/formgrader/api/assignments", "/assignments", "/courses"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{lab}{path}?token={TOKEN}", timeout=30)
        assert error.value.code == 404, f"{path} answered {error.value.code}"
    menus = page.eval_on_selector_all(".lm-MenuBar-itemLabel", "els => els.map(e => e.textContent)")
    assert "Nbgrader" not in menus and menus, menus
    sidebar = page.eval_on_selector_all(".jp-SideBar .lm-TabBar-tab", "els => els.map(e => e.title)")
    assert not any("Create Assignment" in title or "Nbgrader" in title for title in sidebar), sidebar


def test_opening_a_chapter_marks_nothing_unsaved_and_solutions_are_folded(lab, page) -> None:
    open_in_lab(page, lab, "book/01-limits.md")
    time.sleep(2)  # the kernel's metadata arrives just after it turns idle
    assert dirty_tabs(page) == [], "opening chapter 1 marked it as modified"
    exercises = page.locator(".jp-MarkdownCell aside.myst-exercise .myst-exercise-title", has_text="Exercise 1")
    scroll_until(page, exercises)  # markdown cells render when they come into view
    assert exercises.count() >= 1, "the {exercise} directive does not render as an exercise"
    # Cells attach their content as they come into view: the one solution cell next to exercise 1
    # is checked here; test_course_lab checks that every solution's code cells are served folded.
    folded = page.locator(".jp-CodeCell .jp-InputPlaceholder")
    scroll_until(page, folded)
    assert folded.count() >= 1, "no folded solution code cell in chapter 1"
    solution = page.locator("details", has_text="Solution to").first
    assert solution.count() == 1 and solution.get_attribute("open") is None, "the solution's prose is not folded"


def test_chapter_1_runs_without_errors(lab, page) -> None:
    open_in_lab(page, lab, "book/01-limits.md")
    TIMINGS["run_all_01"] = run_all(page)
    assert error_outputs(page) == []


def find_explorer_slider(page):
    """The first ipywidgets slider of the open notebook, scrolling from the top to find it; or None."""
    slider = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider [role='slider']").first
    if slider.count():
        return slider
    outer = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").first
    if not outer.count():
        return None
    outer.evaluate("e => { e.scrollTop = 0; }", timeout=10_000)
    scroll_until(page, slider)
    return slider if slider.count() else None


def describe_page(page) -> str:
    """What the browser shows instead of the notebook: the URL, the open tabs and any dialog."""
    try:
        tabs = page.eval_on_selector_all(".lm-TabBar-tab .lm-TabBar-tabLabel", "els => els.map(e => e.textContent)")
        dialogs = page.eval_on_selector_all(".jp-Dialog", "els => els.map(e => e.innerText.slice(0, 300))")
        return f"url={page.url} tabs={tabs} dialogs={dialogs}"
    except Exception as error:  # a crashed renderer answers nothing
        return f"url={page.url}: {type(error).__name__}: {error}"


def test_slider_moves_with_the_keyboard_and_changes_the_figure(lab, page) -> None:
    slider = find_explorer_slider(page)
    if slider is None:
        # Under load (make test runs the grader beside this test) the page has lost chapter 1's
        # panel once (CI, stop 18): say what it showed, then open the chapter again and run it.
        first_look = describe_page(page)
        print(f"\nno explorer after Run All, opening chapter 1 again: {first_look}")
        open_in_lab(page, lab, "book/01-limits.md")
        run_all(page)
        slider = find_explorer_slider(page)
        assert slider is not None, f"chapter 1 shows no ipywidgets slider after Run All: {describe_page(page)}"
    slider.scroll_into_view_if_needed()
    widget = slider.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea')][1]")
    before_value = slider.get_attribute("aria-valuenow")
    before_figure = widget.locator("img").first.get_attribute("src")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, v]) => el.getAttribute('aria-valuenow') !== v",
                           arg=[slider.element_handle(), before_value], timeout=10_000)
    page.wait_for_function("([el, src]) => { const img = el.querySelector('img'); return img && img.src !== src; }",
                           arg=[widget.element_handle(), before_figure], timeout=20_000)


def test_second_chapter_runs_without_errors(lab, page) -> None:
    open_in_lab(page, lab, SECOND_CHAPTER)
    TIMINGS["run_all_10"] = run_all(page)
    assert error_outputs(page) == []


def test_validate_on_a_chapter_explains_instead_of_a_traceback(lab, page) -> None:
    open_in_lab(page, lab, "book/01-limits.md")
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=30_000)
    text = dialog.inner_text()
    assert "is not an assignment" in text and "Traceback" not in text, text
    page.keyboard.press("Escape")


def test_exercise_part_passes_its_visible_test_and_validate_reports_the_others(lab, page,
                                                                             scratch_exercise) -> None:
    source = json.loads((ROOT / "solutions" / "01-limits" / "limits.ipynb").read_text())
    released = json.loads((ROOT / scratch_exercise).read_text())
    ids = [cell["metadata"].get("nbgrader", {}).get("grade_id") for cell in released["cells"]]
    answer = next("".join(c["source"]) for c in source["cells"]
                  if c["metadata"].get("nbgrader", {}).get("grade_id") == "part1_code")
    code_index, test_index = ids.index("part1_code"), ids.index("part1_tests")

    open_in_lab(page, lab, str(scratch_exercise))
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()  # imports, stubs
    wait_for_kernel_idle(page)
    editor = cells.nth(code_index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(answer)
    page.keyboard.press("Shift+Enter")  # runs the answer, selects the visible test
    page.keyboard.press("Shift+Enter")  # runs the visible test
    wait_for_kernel_idle(page)
    page.wait_for_function("el => /^\\[\\d+\\]:$/.test(el.querySelector('.jp-InputArea .jp-InputPrompt').textContent.trim())",
                           arg=cells.nth(test_index).element_handle(), timeout=30_000)
    test_output = cells.nth(test_index).locator(".jp-OutputArea").inner_text()
    assert "Error" not in test_output, f"part 1's visible test failed with the reference answer:\n{test_output}"

    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=60_000)
    report = dialog.inner_text()
    page.keyboard.press("Escape")
    assert "Part 2" in report and "Part 3" in report, f"Validate does not report the unanswered parts:\n{report}"
    assert "# Part 1" not in report, f"Validate reports part 1, which is answered:\n{report}"
    saved = json.loads((ROOT / scratch_exercise).read_text())
    assert answer.strip() in "".join(saved["cells"][code_index]["source"]), "the answer was not saved"


def test_no_tracked_file_changed(lab, page, before_state) -> None:
    page.goto("about:blank")  # closes the lab's tabs: nothing is pending
    time.sleep(1)
    after = tracked_state()
    changed = {path: (before_state[path], after[path]) for path in OPENED if after[path] != before_state[path]}
    assert changed == {}, f"the lab rewrote or touched tracked files (git status, sha256, mtime before -> after): {changed}"
