"""``make bench-grade``: N copies of one reference submission, graded serially and in parallel.

Both runs start from the same prepared templates and gradebook (nbgrader's
``generate_assignment`` is done once, outside the timings), in one process.
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
from .grade import _prepare, grade
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


def bench(source: Path, assignment: str | None, copies: int, jobs: int) -> int:
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
        _prepare(source, [name], base, f"sqlite:///{base / 'gradebook.db'}")
        timings = {}
        for label, n in (("serial", 1), ("parallel", jobs)):
            work = root / label
            shutil.copytree(base, work)
            db = f"sqlite:///{work / 'gradebook.db'}"
            start = time.monotonic()
            outcome = grade(subs, work / "grades.csv", source_dir=source, db_url=db, jobs=n, limits=limits,
                            work=work, log=lambda *a: None)
            timings[label] = time.monotonic() - start
            failed = [k for k, r in outcome.results.items() if r.get("error")]
            if failed:
                print(f"error: {len(failed)} submission(s) failed in the {label} run, e.g. {failed[0]}",
                      file=sys.stderr)
                return 1
            if (root / "serial" / "grades.csv").exists() and label == "parallel":
                same = (root / "serial" / "grades.csv").read_text() == (work / "grades.csv").read_text()
                print(f"grades identical serial/parallel: {same}")
        ratio = timings["serial"] / timings["parallel"]
        print(f"assignment {name}, {copies} reference submissions")
        print(f"serial   (1 worker):  {timings['serial']:7.1f} s  ({timings['serial'] / copies:.2f} s per notebook)")
        print(f"parallel ({jobs} workers): {timings['parallel']:7.1f} s  "
              f"({timings['parallel'] / copies:.2f} s per notebook)")
        print(f"speed-up: {ratio:.2f}x (target >= 1.7x on 2 cores)")
        floor = kernel_floor(root / "floor")
        print(f"kernel-start floor (sandboxed kernel start + ready + shutdown, best of 3): {floor:.2f} s")
    return 0
