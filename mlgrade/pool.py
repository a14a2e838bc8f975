"""Long-lived local grading processes: nbgrader is imported once per process, not once per submission.

``WorkerPool(jobs)`` keeps ``jobs`` grading processes running :func:`serve`.
Each reads the path of a spec (``spec.json``, a :class:`mlgrade.results.WorkerSpec`)
from its standard input, grades that one submission exactly as a one-shot
worker would (private course folder and gradebook, a sandboxed kernel with a
fresh uid and private temporary folder per notebook), writes ``result.json``
and answers one line. Student code never runs in these processes, only in the
sandboxed kernels they start, so a process can grade many submissions; it is
still replaced after :data:`MAX_TASKS` of them, so that nothing a long run
accumulates (memory, open files) can grow without bound.

The first processes are forked from the parent once it has imported nbgrader
(:func:`mlgrade.worker.import_grading_modules`), so they start at once and
share those pages, where each started Python afresh and imported nbgrader for
about a second. A fork is only taken while the parent runs one thread (a fork
of a threaded process may inherit a lock some other thread holds, and
deadlock); a process that replaces one during a run, and any in a threaded
parent such as a Dask worker, starts afresh.

A process that outlives a task's wall-clock limit is killed with its process
group, and its sandboxed kernels die with it (``setpriv --pdeathsig`` ends bwrap
with the process that started it, ``bwrap --die-with-parent`` the kernel with
bwrap); one that dies is replaced. Either way that submission alone scores 0
with the reason, and the next task gets a fresh process.
"""

from __future__ import annotations

import os
import queue
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
import typing as t
from pathlib import Path

from .course import REPO
from .results import FormatError, GradeResult, WorkerSpec

#: Submissions one process grades before it is replaced by a fresh one.
MAX_TASKS = 200


class _Forked:
    """A grading process forked from this one: the part of :class:`subprocess.Popen` that
    :class:`_Process` uses (``pid``, ``stdin``, ``stdout``, ``poll``, ``wait``, ``returncode``).

    ``others``: the processes forked before, whose pipe ends the child must not keep open
    (a process sees the end of its input only when every copy of the writing end is closed).
    """

    def __init__(self, others: list[_Process]) -> None:
        task_read, task_write = os.pipe()
        answer_read, answer_write = os.pipe()
        parent = os.getpid()
        sys.stdout.flush()  # else the child would write the parent's pending output a second time
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: it never returns from here, and never runs the parent's exit handlers
            code = 1
            try:
                os.setsid()
                os.chdir(REPO)  # where a process started afresh runs
                os.close(task_write)
                os.close(answer_read)
                for other in others:
                    for stream in (other.proc.stdin, other.proc.stdout):
                        stream.close()
                with os.fdopen(task_read, "r") as tasks:
                    code = serve(tasks, answer_write, parent)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(answer_write)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = os.fdopen(task_write, "wb")
        self.stdout = os.fdopen(answer_read, "rb")

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"grading process {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return self.returncode


def can_fork() -> bool:
    """Whether grading processes may be forked from this one: Linux, and no other thread running."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _Process:
    """One grading child (forked, or ``python -m mlgrade serve``) and the line protocol to it."""

    def __init__(self, fork_after: list[_Process] | None = None) -> None:
        """Fork the child when ``fork_after`` (the processes forked before it) is given, else start it afresh."""
        if fork_after is not None:
            self.proc: subprocess.Popen | _Forked = _Forked(fork_after)
        else:
            self.proc = subprocess.Popen([sys.executable, "-m", "mlgrade", "serve", "--parent", str(os.getpid())],
                                         cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         start_new_session=True)
        self.tasks = 0

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def finish(self) -> None:
        """Ask the process to end after its current task (end of input)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def close(self) -> None:
        """Ask the process to end after its current task, then wait a little."""
        self.finish()
        try:
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def grade(self, spec_path: Path, timeout: float) -> str:
        """Send one task; return ``"done"``, ``"timeout"`` or ``"died"``.

        The answer must carry the task's random nonce: a line written by anything
        else on that pipe can never be taken for the end of a task.
        """
        nonce = secrets.token_hex(16)
        try:
            self.proc.stdin.write(f"{nonce} {spec_path}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return "died"
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    return "died"
                if line.strip() == f"done {nonce}".encode():
                    self.tasks += 1
                    return "done"


class WorkerPool:
    """``jobs`` long-lived grading processes (a :class:`mlgrade.results.Runner`); :meth:`run` is called
    from the parent's threads."""

    def __init__(self, jobs: int) -> None:
        self.slots = max(1, jobs)
        self._idle: queue.Queue[_Process | None] = queue.Queue()
        self._all: list[_Process] = []
        fork = can_fork()
        if fork:
            from .worker import import_grading_modules

            import_grading_modules()
        for _ in range(self.slots):
            process = _Process(list(self._all) if fork else None)
            self._all.append(process)
            self._idle.put(process)

    def _take(self) -> _Process:
        process = self._idle.get()
        if process is None or process.proc.poll() is not None or process.tasks >= MAX_TASKS:
            if process is not None:
                process.close()
            process = _Process()
            self._all.append(process)
        return process

    def run(self, spec: WorkerSpec, timeout: float) -> GradeResult:
        """Grade ``spec`` in one of the processes; the result is also in ``<work>/result.json``."""
        work = spec.work
        work.mkdir(parents=True, exist_ok=True)
        result_file = work / "result.json"
        if result_file.exists():
            result_file.unlink()
        spec_path = work / "spec.json"
        spec.write(spec_path)
        process = self._take()
        status = "died"
        try:
            status = process.grade(spec_path, timeout)
        finally:
            if status != "done":
                process.kill()
                process = None
            self._idle.put(process)
        if status == "timeout":
            return GradeResult.failure(spec, f"wall-clock limit of {int(timeout)} s for the whole submission "
                                             f"exceeded; the kernel was killed (0 points)")
        if result_file.exists():
            try:
                return GradeResult.read(result_file)
            except FormatError as exc:
                return GradeResult.failure(spec, f"the grading worker wrote an unreadable result: {exc}")
        return GradeResult.failure(spec, f"the grading worker stopped (exit code "
                                         f"{process.proc.returncode if process else '-'}); see {work / 'worker.log'}")

    def close(self) -> None:
        """End every process: all are asked at once, so that they exit side by side."""
        for process in self._all:
            process.finish()
        for process in self._all:
            process.close()
        self._all.clear()


def _die_with_parent(parent: int | None) -> None:
    """Ask Linux to kill this process when the grading run that started it (pid ``parent``) dies, even
    by SIGKILL: a killed ``make grade`` leaves no worker behind to write into a run it no longer owns."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed input still ends the loop
        pass
    if os.getppid() == 1 or (parent is not None and os.getppid() != parent):  # it died before prctl acted
        os._exit(1)


def serve(tasks: t.TextIO | None = None, answer_fd: int | None = None, parent: int | None = None) -> int:
    """The child's loop: ``<nonce> <spec path>`` per line of ``tasks`` (standard input by default),
    ``done <nonce>`` per graded submission to ``answer_fd`` (standard output by default).

    The task's own output (nbgrader's log, kernel messages) goes to
    ``<work>/worker.log``. ``parent`` is the pid of the grading run: the loop ends with it.
    """
    from .worker import prepare_process, run_and_record

    _die_with_parent(parent)
    prepare_process()
    answer = os.fdopen(os.dup(1) if answer_fd is None else answer_fd, "wb", buffering=0)
    saved_out, saved_err = os.dup(1), os.dup(2)
    for line in tasks or sys.stdin:
        if not line.strip():
            continue
        nonce, _, path = line.strip().partition(" ")
        spec = WorkerSpec.read(Path(path))
        sys.stdout.flush()
        sys.stderr.flush()
        log = os.open(spec.work / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        try:
            run_and_record(spec)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
        answer.write(f"done {nonce}\n".encode())
    return 0
