"""``make bench-grade``: N copies of one reference submission, graded by plain nbgrader and by mlgrade.

Three runs on the same submissions, in one process: nbgrader's own
``autograde`` command (one process, no sandbox: the reference), then
``make grade`` with one worker and with ``--jobs`` workers (sandboxed). The
mlgrade runs start from the same prepared templates and gradebook (nbgrader's
``generate_assignment`` is done once, outside the timings). The three runs are
repeated ``--rounds`` times, interleaved, and each keeps its best time (as
``timeit`` does): on a shared machine, a neighbour's burst slows one run, never
all of its rounds.
Beside them: the floor of one notebook, a sandboxed kernel started, made ready
and shut down, measured alone.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .course import assignments, notebooks
from .grade import grade, prepare_templates
from .limits import Limits


async def _kernel_once(work: Path) -> float:
    from .sandbox import SandboxKernelManager

    start = time.monotonic()
    km = SandboxKernelManager(work_dir=str(work), uid=199999, limits_env=Limits().as_env())
    await km.start_kernel(cwd=str(work / "cwd"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = km.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    client.stop_channels()
    await km.shutdown_kernel(now=False)
    return time.monotonic() - start


def kernel_floor(work: Path, repeats: int = 3) -> float:
    from .sandbox import prepare_private

    (work / "cwd").mkdir(parents=True, exist_ok=True)
    prepare_private(work, b"{}", 199999)  # no guard: the kernel alone
    times = [asyncio.run(_kernel_once(work)) for _ in range(repeats)]
    return min(times)


def plain_nbgrader(source: Path, name: str, subs: Path, course: Path) -> float:
    """Seconds for plain nbgrader (its ``autograde`` command, one process, no sandbox) on ``subs``."""
    from .course import COURSE_ID, generate

    db = f"sqlite:///{course / 'gradebook.db'}"
    generate(source, name, course, db)
    shutil.copytree(subs, course / "submitted")
    command = [str(Path(sys.executable).parent / "nbgrader"), "autograde", name, "--force",
               f"--CourseDirectory.root={course}", f"--CourseDirectory.course_id={COURSE_ID}",
               f"--CourseDirectory.db_url={db}", "--Execute.timeout=30"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=course, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"plain nbgrader autograde failed:\n{done.stderr[-2000:]}")
    return seconds


def bench(source: Path, assignment: str | None, copies: int, jobs: int, rounds: int = 3) -> int:
    """Plain nbgrader, ``make grade JOBS=1`` and ``JOBS=jobs`` on the same submissions, side by side
    (the best of ``rounds`` interleaved rounds each)."""
    if rounds < 1:
        print(f"error: rounds must be at least 1, got {rounds}", file=sys.stderr)
        return 2
    names = assignments(source)
    if not names:
        print(f"error: no assignment in {source}", file=sys.stderr)
        return 1
    name = assignment or names[0]
    notebook = notebooks(source, name)[0]
    limits = Limits()
    with tempfile.TemporaryDirectory(prefix="mlgrade-bench-") as tmp:
        root = Path(tmp)
        subs = root / "submissions"
        for i in range(copies):
            folder = subs / f"student{i:03d}" / name
            folder.mkdir(parents=True)
            shutil.copyfile(notebook, folder / notebook.name)
        base = root / "base"
        base.mkdir()
        prepare_templates(source, [name], base, f"sqlite:///{base / 'gradebook.db'}")
        plain_label = "plain nbgrader autograde (1 process, no sandbox)"
        runs = ((plain_label, 0), ("make grade JOBS=1 (sandboxed)", 1), (f"make grade JOBS={jobs} (sandboxed)", jobs))
        timings: dict[str, float] = {}
        for round_ in range(rounds):
            for label, n in runs:
                if n == 0:
                    seconds = plain_nbgrader(source, name, subs, root / f"plain{round_}")
                else:
                    work = root / f"jobs{n}-{round_}"
                    shutil.copytree(base, work)
                    db = f"sqlite:///{work / 'gradebook.db'}"
                    start = time.monotonic()
                    outcome = grade(subs, work / "grades.csv", source_dir=source, db_url=db, jobs=n,
                                    limits=limits, work=work, log=lambda *a: None)
                    seconds = time.monotonic() - start
                    failed = [k for k, r in outcome.results.items() if r.error]
                    if failed:
                        print(f"error: {len(failed)} submission(s) failed in the run {label}, e.g. {failed[0]}",
                              file=sys.stderr)
                        return 1
                timings[label] = min(seconds, timings.get(label, seconds))
        same = (root / "jobs1-0" / "grades.csv").read_text() == (root / f"jobs{jobs}-0" / "grades.csv").read_text()
        plain = next(iter(timings.values()))
        print(f"assignment {name}, {copies} copies of the reference submission, one process, "
              f"best of {rounds} interleaved round(s) each")
        print(f"{'run':<52} {'total':>8} {'per notebook':>13} {'x plain':>8}")
        for label, seconds in timings.items():
            print(f"{label:<52} {seconds:7.1f}s {seconds / copies:12.2f}s {seconds / plain:8.2f}")
        serial, parallel = list(timings.values())[1:]
        print(f"JOBS={jobs} against JOBS=1: {serial / parallel:.2f}x faster; grades identical: {same}")
        floor = kernel_floor(root / "floor")
        print(f"kernel-start floor (sandboxed kernel start + ready + shutdown, best of 3): {floor:.2f} s")
    return 0
