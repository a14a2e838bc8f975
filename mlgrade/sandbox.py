"""The kernel sandbox: a jupyter KernelManager whose kernel runs inside bubblewrap.

nbclient (through nbgrader's ``Execute`` preprocessor) creates the kernel
manager named by ``Execute.kernel_manager_class``; mlgrade points it at
:class:`SandboxKernelManager`. The kernel command ``python -m
ipykernel_launcher -f <connection file>`` becomes::

    bwrap <namespaces, read-only binds, one writable folder> --
        python /opt/mlgrade/kernel_boot.py -f <connection file>

(``kernel_boot.py`` reads the guard key as root, then drops to uid ``U``).

* namespaces: a new pid, network (no interface but ``lo``: sockets fail), IPC,
  UTS and cgroup namespace; ``--die-with-parent`` so nothing survives the kernel;
* file system: an empty root with read-only binds of ``/usr``, ``/lib*``,
  ``/bin``, ``/etc``, the virtual environment, the real Python installation it
  links to, and the ``mlcalc`` package folder only (never the repository:
  no ``solutions/``, gradebook or ``_grading/``); ``/tmp`` is a private tmpfs;
  the only writable folders are the notebook's own working folder and the
  folder of the kernel's IPC sockets (both private to this submission), and a
  private ``/dev/shm`` (POSIX semaphores: joblib and multiprocessing warn on
  stderr without it, and nbgrader scores a test cell with stderr output 0);
* identity, as root: the kernel runs as an unprivileged uid ``U`` (a random
  one per submission, owned by nobody else) with no capabilities, so
  ``RLIMIT_NPROC`` is enforced (it is not for root) and a fork bomb stops at
  the process limit without touching any other sandbox's budget;
* identity, as a normal user (no root needed): the sandbox is an unprivileged
  user namespace of its own (``--unshare-user --disable-userns``); the kernel
  runs as the grading user outside it, with no capabilities. ``RLIMIT_NPROC``
  is counted per user namespace (Linux 5.14 and later), so every sandbox still
  has its own process budget; what this mode does not give is a uid of its
  own per submission: files the grading user can read and the sandbox binds
  are readable, exactly the same binds as in root mode (nothing else of the
  file system is visible);
* limits: ``kernel_boot.py`` sets ``RLIMIT_AS`` (memory), ``RLIMIT_NPROC``,
  ``RLIMIT_FSIZE`` and no core files, then installs the test guard
  (:mod:`mlgrade.guard`) before any student code runs;
* transport: IPC sockets in the bound folder (TCP cannot cross the network
  namespace); interrupts go as messages, because a SIGINT to the process group
  would hit bubblewrap itself.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import subprocess
import sys
import typing as t
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Int, Unicode

from .course import REPO

BOOT = Path(__file__).resolve().parent / "kernel_boot.py"
BOOT_IN_SANDBOX = "/opt/mlgrade/kernel_boot.py"
KEY_IN_SANDBOX = "/opt/mlgrade/key"
LOG_IN_SANDBOX = "/opt/mlgrade/log/guard.log"


class SandboxError(RuntimeError):
    """The sandbox cannot start: grading must stop rather than run unsandboxed."""


def _python_install() -> Path:
    """The real installation behind the venv's interpreter (the venv only holds symlinks)."""
    return Path(os.path.realpath(sys.executable)).parent.parent


def venv_root() -> Path:
    return Path(sys.prefix)


#: The uid a kernel has inside its own user namespace when grading runs without root.
UID_IN_USERNS = 1000


def unprivileged() -> bool:
    """Whether grading runs as a normal user: each sandbox then gets its own user namespace."""
    return os.geteuid() != 0


def bwrap_argv(*, writable: list[Path], private: Path, uid: int, limits_env: str) -> list[str]:
    """The bubblewrap command line in front of the kernel's own command.

    As root the kernel later drops to ``uid``; as a normal user the sandbox is
    an unprivileged user namespace of its own (the kernel is ``UID_IN_USERNS``
    inside, the grading user outside), which may not create further namespaces,
    and the guard key reaches the kernel through an inherited pipe instead of a
    root-only file.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError("bubblewrap (bwrap) is required to grade in a sandbox "
                           "(Debian: apt-get install bubblewrap)")
    userns = ["--unshare-user", "--uid", str(UID_IN_USERNS), "--gid", str(UID_IN_USERNS),
              "--disable-userns"] if unprivileged() else []
    argv = [bwrap, *userns, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
            "--tmpfs", "/tmp", "--tmpfs", "/opt"]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"):
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    install = _python_install()
    venv = venv_root()
    mlcalc = REPO / "mlcalc"
    # bwrap creates missing parents of a bind target with mode 0700: the unprivileged
    # kernel could not traverse them (e.g. /root above the Python installation).
    parents: list[str] = []
    for target in [install, venv, mlcalc, Path(BOOT_IN_SANDBOX), Path(LOG_IN_SANDBOX).parent, *writable]:
        for parent in reversed(Path(target).parents):
            if str(parent) != "/" and str(parent) not in parents and not str(parent).startswith(("/usr", "/etc")):
                parents.append(str(parent))
    # Without root the folders bwrap makes belong to the kernel's user: a read-only root covers
    # those on /, but the ones it makes inside the private /tmp (a checkout under /tmp) need a
    # read-only tmpfs of their own, unless a writable folder lies below them.
    sealed = []
    if unprivileged():
        tops = {Path("/tmp", Path(p).relative_to("/tmp").parts[0]) for p in (install, venv, mlcalc)
                if Path(p).is_relative_to("/tmp") and Path(p) != Path("/tmp")}
        sealed = sorted(str(top) for top in tops
                        if not any(Path(w) == top or Path(w).is_relative_to(top) for w in writable))
        for top in sealed:
            argv += ["--tmpfs", top]
    for parent in parents:
        argv += ["--perms", "0755", "--dir", parent]
    for path in (install, venv, mlcalc):
        argv += ["--ro-bind", str(path), str(path)]
    argv += ["--ro-bind", str(BOOT), BOOT_IN_SANDBOX]
    if not unprivileged():  # a normal user's kernel could read the file: it gets a pipe instead
        argv += ["--ro-bind", str(private / "key"), KEY_IN_SANDBOX]
    argv += ["--bind", str(private / "log"), os.path.dirname(LOG_IN_SANDBOX)]
    for path in writable:
        argv += ["--bind", str(path), str(path)]
    home = writable[0]
    # The skeleton of folders bwrap made (/work, /root ... above the binds) belongs to the
    # sandbox's uid without root: read-only, so only the bound folders and /tmp take writes.
    argv += ["--remount-ro", "/"]
    for top in sealed:
        argv += ["--remount-ro", top]
    argv += ["--chdir", str(home), "--unsetenv", "JPY_PARENT_PID",
             "--setenv", "HOME", str(home), "--setenv", "MPLCONFIGDIR", str(home / ".mpl"),
             "--setenv", "MPLBACKEND", "Agg", "--setenv", "MLGRADE_LIMITS", limits_env,
             "--setenv", "MLGRADE_UID", str(uid),
             "--"]
    return argv


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_socket_folders(tmp: Path = Path("/tmp")) -> list[Path]:
    """Remove the socket folders (``/tmp/mlg-<pid>-*``) of grading processes that no longer run.

    A kernel's folder goes when the kernel shuts down, and at the latest when its process exits;
    a grading process that was killed (a run stopped with SIGKILL) runs neither, so the next one
    removes what it left. Folders of running processes, and anything else, stay.

    Examples
    --------
    >>> import subprocess, sys, tempfile
    >>> gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
    ...                       capture_output=True, text=True).stdout.strip()
    >>> tmp = Path(tempfile.mkdtemp())
    >>> for name in (f"mlg-{gone}-abc", f"mlg-{os.getpid()}-def", "mlg-xyz", "other"):
    ...     (tmp / name).mkdir()
    >>> [p.name for p in sweep_socket_folders(tmp)] == [f"mlg-{gone}-abc"]
    True
    >>> sorted(p.name for p in tmp.iterdir()) == sorted([f"mlg-{os.getpid()}-def", "mlg-xyz", "other"])
    True
    >>> shutil.rmtree(tmp)
    """
    removed = []
    for entry in os.scandir(tmp):
        prefix, _, rest = entry.name.partition("-")
        pid = rest.partition("-")[0]
        if prefix != "mlg" or not pid.isdigit() or not entry.is_dir(follow_symlinks=False) or _running(int(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    return removed


_SWEPT_IN: int | None = None  # the process that last swept (a forked grading process sweeps once itself)


def _socket_folder() -> Path:
    """A new private folder in /tmp for one kernel's sockets, named after this process."""
    global _SWEPT_IN
    if _SWEPT_IN != os.getpid():
        _SWEPT_IN = os.getpid()
        sweep_socket_folders()
    return Path(tempfile.mkdtemp(prefix=f"mlg-{os.getpid()}-", dir="/tmp"))


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that starts the kernel in a bubblewrap sandbox (see module docstring)."""

    work_dir = Unicode(help="private folder of this submission's sandbox (sockets, key, log)").tag(config=True)
    uid = Int(0, help="unprivileged uid the kernel runs as").tag(config=True)
    limits_env = Unicode("", help="Limits.as_env() of this run").tag(config=True)
    sandbox = Unicode("bwrap", help="'bwrap', or 'none' to run unsandboxed (explicit instructor choice)").tag(config=True)

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._alive_pipe: int | None = None  # the writing end, while a kernel runs (see _async_launch_kernel)
        if self.sandbox == "bwrap":
            # Unix socket paths are limited to 107 bytes: keep them short, in /tmp.
            ipc = _socket_folder()
            atexit.register(shutil.rmtree, ipc, True)  # if the kernel is never shut down
            self._ipc = ipc
            self.transport = "ipc"
            self.ip = str(ipc / "kernel")
            self.connection_file = str(ipc / "kernel.json")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self.sandbox == "bwrap" and not restart:  # a long-lived grading process leaves nothing behind
            shutil.rmtree(self._ipc, ignore_errors=True)
            self._close_alive_pipe()

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: t.Any) -> None:
        if self.sandbox != "bwrap":
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        # A SIGINT to bwrap's process group would kill the sandbox: interrupt by message.
        self.kernel_spec.interrupt_mode = "message"
        work = Path(self.work_dir)
        cwd = Path(kw.get("cwd") or work / "home")
        (work / "home").mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        writable = [cwd, self._ipc]
        if not unprivileged():
            for path in writable:
                os.chown(path, self.uid, self.uid)
            os.chown(self.connection_file, self.uid, self.uid)
        if not kernel_cmd or "ipykernel_launcher" not in kernel_cmd:
            raise SandboxError(f"unexpected kernel command {kernel_cmd}: only the python3 kernel is supported")
        at = kernel_cmd.index("ipykernel_launcher")
        python = kernel_cmd[0]
        # The boot reads the guard key as root, then drops to ``uid`` itself (setresuid:
        # no capabilities left; bwrap sets no_new_privs, so setuid binaries cannot regain any).
        inner = [python, BOOT_IN_SANDBOX] + kernel_cmd[at + 1:]
        argv = bwrap_argv(writable=writable, private=work / "private", uid=self.uid,
                          limits_env=self.limits_env) + inner
        # bwrap --die-with-parent ends the kernel with bwrap, but nothing ends bwrap with the
        # process that started it: a grading run killed outright (SIGKILL; its workers follow it)
        # left every running kernel behind. setpriv (util-linux) gives bwrap a parent-death signal.
        # A parent that dies before that prctl, or before bwrap's init sets its own, sends no
        # signal: the kernel's boot then finds the pipe MLGRADE_ALIVE_FD ended, and ends.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise SandboxError("setpriv (util-linux) is required to grade in a sandbox "
                               "(Debian: apt-get install util-linux)")
        argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
        env = {k: v for k, v in (kw.get("env") or os.environ).items()
               if k in {"PATH", "LANG", "LC_ALL", "TZ", "JPY_PARENT_PID"}}
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"})
        # The kernel inherits two descriptors, both closed by the boot before any student code:
        # the reading end of a pipe whose writing end only this process holds (it reads as
        # ended once this process is gone), and without root the pipe of the key.
        self._close_alive_pipe()
        inherited, self._alive_pipe = os.pipe()
        env["MLGRADE_ALIVE_FD"] = str(inherited)
        passed = [inherited]
        key_file = work / "private" / "key"
        if unprivileged() and key_file.exists():
            # The boot reads the key from this pipe and closes it: nothing the student's
            # code can open again.
            read_end, write_end = os.pipe()
            os.write(write_end, key_file.read_bytes())
            os.close(write_end)
            env["MLGRADE_KEY_FD"] = str(read_end)
            passed.append(read_end)
        kw["pass_fds"] = tuple(passed)
        kw["env"] = env
        kw["cwd"] = str(cwd)
        try:
            return await super()._async_launch_kernel(argv, **kw)
        finally:
            for fd in passed:
                os.close(fd)

    def _close_alive_pipe(self) -> None:
        if self._alive_pipe is not None:
            os.close(self._alive_pipe)
            self._alive_pipe = None


def prepare_private(work: Path, key: bytes, uid: int) -> None:
    """The root-only key file and the guard log folder of one sandbox."""
    private = work / "private"
    (private / "log").mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    os.chmod(private / "log", 0o700)
    key_file = private / "key"
    key_file.write_bytes(key)
    os.chmod(key_file, 0o600)


def userns_blocker() -> str | None:
    """The kernel setting that forbids unprivileged user namespaces here, if one does."""
    settings = {"/proc/sys/user/max_user_namespaces": ("user.max_user_namespaces", "0"),
                "/proc/sys/kernel/unprivileged_userns_clone": ("kernel.unprivileged_userns_clone", "0"),
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns":
                    ("kernel.apparmor_restrict_unprivileged_userns", "1")}
    for path, (name, blocking) in settings.items():
        try:
            if Path(path).read_text().strip() == blocking:
                return f"{name} = {blocking}"
        except OSError:
            continue
    return None


def check_sandbox(work: Path) -> None:
    """Start a trivial process in the sandbox once; raise SandboxError with bwrap's message if it fails."""
    work.mkdir(parents=True, exist_ok=True)
    prepare_private(work, b"check", 0)
    home = work / "home"
    home.mkdir(exist_ok=True)
    argv = bwrap_argv(writable=[home], private=work / "private", uid=0, limits_env="") + [
        sys.executable, "-c", "import socket, numpy; print('ok')"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"the sandbox cannot start: {exc}") from None
    if proc.returncode != 0 or "ok" not in proc.stdout:
        message = f"the sandbox cannot start (bwrap exit {proc.returncode}): {proc.stderr.strip()[-800:]}"
        if unprivileged():
            blocker = userns_blocker()
            message += ("\nGrading as a normal user needs unprivileged user namespaces"
                        + (f", which this machine disables ({blocker}): set it to allow them "
                           f"(sysctl -w {blocker.split(' = ')[0]}=...), or grade as root" if blocker
                           else " (check that they are enabled, e.g. sysctl user.max_user_namespaces), "
                                "or grade as root"))
        raise SandboxError(message)
