"""Grading on a Dask distributed cluster: ``make grade SCHEDULER=tcp://host:8786``.

Each (student, assignment) becomes one Dask task. The task carries what it
needs as bytes (the submission folder, and the assignment's template that the
parent generated with nbgrader), runs the same ``python -m mlgrade worker`` in
the same bubblewrap sandbox on the Dask worker's machine, in a temporary
folder, and returns its result with the autograded notebooks. The task and
its result travel as JSON objects (:class:`mlgrade.results.WorkerSpec` and
:class:`mlgrade.results.GradeResult`), checked when they arrive. The parent
merges the results one at a time into the course gradebook and its ledger, as
in a local run: an interrupted run resumes, and the grades equal a local run's.
No shared file system is needed.

Every worker machine needs a checkout of this repository at the same commit
with ``make venv`` done, bubblewrap, and a worker started as root from the
checkout: ``make grade-worker SCHEDULER=tcp://host:8786``. Before anything is
sent, each worker reports the digest of its ``mlcalc`` and ``mlgrade``
sources (student code imports ``mlcalc``: another version could grade
differently) and starts the sandbox once; a mismatch or a broken sandbox stops
the run, naming the worker.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import tarfile
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from .course import REPO, CourseError
from .results import FormatError, GradeResult, WorkerSpec
from .sandbox import SandboxError

#: Folders whose sources must be identical on the parent and on every worker.
CODE = ("mlcalc", "mlgrade")


def code_digest(root: Path = REPO) -> str:
    """SHA-256 of the Python sources of :data:`CODE` under ``root`` (names and bytes)."""
    h = hashlib.sha256()
    for folder in CODE:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def pack(folder: Path, max_file_bytes: int | None = None, left_out: list[str] | None = None) -> bytes:
    """A gzipped tar of the regular files and folders under ``folder``.

    Symlinks are left out, and so are files larger than ``max_file_bytes``:
    their relative paths are appended to ``left_out`` (the worker notes them,
    see :mod:`mlgrade.worker`).
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            rel = str(path.relative_to(folder))
            if max_file_bytes is not None and path.is_file() and path.stat().st_size > max_file_bytes:
                if left_out is not None:
                    left_out.append(rel)
                continue
            tar.add(path, arcname=rel, recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, target: Path) -> None:
    """Extract :func:`pack` output into ``target`` (tarfile's ``data`` filter: nothing outside, no links)."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter="data")


def worker_info(unsafe_no_sandbox: bool) -> dict:
    """Run on every Dask worker before grading: its host, code digest and whether the sandbox starts."""
    from .sandbox import check_sandbox

    info = {"host": socket.gethostname(), "digest": code_digest(), "sandbox": None}
    if not unsafe_no_sandbox:
        with tempfile.TemporaryDirectory(prefix="mlgrade-check-") as tmp:
            try:
                check_sandbox(Path(tmp))
            except SandboxError as exc:
                info["sandbox"] = str(exc)
    return info


def check_workers(infos: dict[str, dict], digest: str) -> None:
    """Raise :class:`CourseError` naming every worker that runs other code or cannot start the sandbox."""
    problems = []
    for address, info in sorted(infos.items()):
        if info["digest"] != digest:
            problems.append(f"{address} ({info['host']}): its mlcalc/mlgrade sources differ from this "
                            f"checkout's; check out the same commit there and restart the worker")
        if info["sandbox"]:
            problems.append(f"{address} ({info['host']}): {info['sandbox']}")
    if problems:
        raise CourseError("Dask workers not fit to grade (nothing was graded):\n  " + "\n  ".join(problems))


_POOL = None
_POOL_LOCK = threading.Lock()


def _local_pool():
    """This Dask worker's long-lived grading processes (nbgrader imported once, as in local runs)."""
    global _POOL
    from .pool import WorkerPool

    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(max(1, os.cpu_count() or 1))
        return _POOL


def grade_remote(spec: dict, submission: bytes | None, template: bytes, timeout: float) -> dict:
    """Run on a Dask worker: grade one submission (``spec``: :meth:`WorkerSpec.to_dict`) in a temporary
    folder; return the result (:meth:`GradeResult.to_dict`), the files to keep and the worker's name."""
    with tempfile.TemporaryDirectory(prefix="mlgrade-task-") as tmp:
        root = Path(tmp)
        unpack(template, root / "template")
        task = replace(WorkerSpec.from_dict(spec, "the task sent to this Dask worker"),
                       work=root / "run", template=root / "template")
        if submission is not None:
            unpack(submission, root / "submission")
            task = replace(task, submission=root / "submission")
        result = _local_pool().run(task, timeout)
        run = root / "run"
        keep = io.BytesIO()
        with tarfile.open(fileobj=keep, mode="w:gz") as tar:
            for name in ("worker.log", "autograde.log", "course/autograded"):
                if (run / name).exists():
                    tar.add(run / name, arcname=name)
        return {"result": result.to_dict(), "files": keep.getvalue(),
                "worker": f"{socket.gethostname()}:{os.getpid()}"}


def _check_listening(address: str, timeout: float) -> None:
    """Fail at once when nothing listens at a ``tcp://host:port`` address (Dask's client would retry a
    refused connection until its whole connect timeout has passed)."""
    host, sep, port = address.removeprefix("tcp://").rpartition(":")
    if not address.startswith("tcp://") or not sep or not port.isdigit():
        return  # other protocols and malformed addresses: Dask's own error names them
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
        pass


class DaskRunner:
    """Sends grading tasks to the Dask scheduler at ``address`` (a :class:`mlgrade.results.Runner`, see the
    module docstring)."""

    def __init__(self, address: str, *, unsafe_no_sandbox: bool, connect_timeout: float = 20) -> None:
        from dask.distributed import Client

        try:
            _check_listening(address, connect_timeout)
            self.client = Client(address, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CourseError(f"cannot reach the Dask scheduler at {address}: {exc}. Start it with "
                              f"'.venv/bin/dask scheduler' and workers with 'make grade-worker "
                              f"SCHEDULER={address}'") from None
        try:
            self.client.wait_for_workers(1, timeout=connect_timeout)
        except (TimeoutError, OSError):
            self.client.close()
            raise CourseError(f"no Dask worker is connected to {address}: start one on each grading "
                              f"machine with 'make grade-worker SCHEDULER={address}'") from None
        infos = self.client.run(worker_info, unsafe_no_sandbox)
        try:
            check_workers(infos, code_digest())
        except CourseError:
            self.client.close()
            raise
        self.slots = sum(self.client.nthreads().values())
        self._templates: dict[str, object] = {}
        self._lock = threading.Lock()  # run() is called from the parent's worker threads

    def _template(self, path: Path):
        with self._lock:
            if str(path) not in self._templates:
                self._templates[str(path)] = self.client.scatter(pack(path), broadcast=True, hash=False)
            return self._templates[str(path)]

    def run(self, spec: WorkerSpec, timeout: float) -> GradeResult:
        """Grade ``spec`` on the cluster; unpack its files into ``spec.work``; return the result.

        A task whose worker was lost (after Dask's own retries) comes back as an
        error with ``retry`` set: the parent merges it as 0 points but leaves it
        out of the ledger, so the next run grades it again.
        """
        submission = None
        if spec.submission is not None:
            left_out: list[str] = []
            submission = pack(spec.submission, spec.limits.file_size_mb * 2 ** 20, left_out)
            spec = replace(spec, left_out=tuple(left_out))
        future = self.client.submit(grade_remote, spec.to_dict(), submission, self._template(spec.template),
                                    timeout, pure=False)
        try:
            # The worker enforces ``timeout`` itself; the margin covers queueing behind other tasks.
            answer = future.result(timeout=timeout * 4 + 600)
        except Exception as exc:  # KilledWorker, CommClosedError, a lost connection, a timeout...
            future.cancel()
            return GradeResult.failure(spec, f"the Dask task failed ({type(exc).__name__}: {str(exc)[:200]}); "
                                             f"run make grade again to retry it", retry=True)
        try:
            result = GradeResult.from_dict(answer["result"], f"the result from the Dask worker {answer['worker']}")
        except FormatError as exc:
            return GradeResult.failure(spec, str(exc))
        if spec.work.exists():
            shutil.rmtree(spec.work)
        unpack(answer["files"], spec.work)
        result.graded_on = answer["worker"]
        result.write(spec.work / "result.json")
        return result

    def close(self) -> None:
        self.client.close()
