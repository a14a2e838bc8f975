"""First code of a sandboxed grading kernel: limits, privilege drop, test guard, then ipykernel.

Runs inside bubblewrap as root, before any student code:

1. reads ``/opt/mlgrade/key`` (root-only: the HMAC key and the guarded test
   functions of this notebook), or, when grading runs without root, the pipe
   ``MLGRADE_KEY_FD`` (then closes it), and opens the guard log write-only;
2. drops to the unprivileged uid ``MLGRADE_UID`` (no capabilities remain; as a
   normal user's sandbox it is unprivileged already);
3. sets the resource limits of ``MLGRADE_LIMITS`` (``RLIMIT_AS``, ``RLIMIT_NPROC``,
   ``RLIMIT_FSIZE``, no core files);
4. imports the modules tests rely on, snapshots their namespaces and installs
   an audit hook (:class:`Guard`; no Python code can remove it) that
   * on ``mlgrade.begin`` from a genuine guarded test function (its code is
     compared with the instructor's, compiled here before any student code ran;
     its builtins must be the real ones) restores those namespaces;
   * on ``mlgrade.check`` (after every statement of the test) verifies that
     nothing was patched meanwhile and no other thread runs student code;
   * on ``mlgrade.passed`` writes an HMAC-signed line to the log, which the
     grader requires before it awards a test cell's points;
   * reports processes started with ``os.fork`` (a fork bomb) and file opens
     outside the notebook's folder and Python;
   * refuses what could reach the guard itself: ``gc`` object walks,
     ``sys.settrace``/``setprofile``, ``sys.addaudithook``, ``ctypes`` and
     reading ``/proc/*/mem``; refused attempts are logged (unsigned lines are
     reported as attempts, never counted as passes).
5. starts ipykernel (``ipykernel_launcher`` arguments pass through).

This file is copied into the sandbox alone: it imports nothing from mlgrade.
"""

import hashlib
import hmac
import json
import os
import resource
import sys

# Names IPython itself puts into (and takes out of) builtins around each cell.
SHELL_BUILTINS = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__", "help",
                  "copyright", "credits", "license", "dreload", "input", "raw_input"}
KEY_FILE = "/opt/mlgrade/key"
LOG_FILE = "/opt/mlgrade/log/guard.log"
TRUSTED = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "numpy.random",
           "numpy.testing._private.utils", "mlcalc", "mlcalc.testing")


def _limits():
    values = dict(item.split("=", 1) for item in os.environ.pop("MLGRADE_LIMITS", "").split(",") if item)
    mb = 1024 * 1024
    plan = [(resource.RLIMIT_CORE, 0)]
    if "memory_mb" in values:
        plan.append((resource.RLIMIT_AS, int(values["memory_mb"]) * mb))
    if "processes" in values:
        plan.append((resource.RLIMIT_NPROC, int(values["processes"])))
    if "file_size_mb" in values:
        plan.append((resource.RLIMIT_FSIZE, int(values["file_size_mb"]) * mb))
    for which, value in plan:
        resource.setrlimit(which, (value, value))


def _drop_privileges():
    uid = int(os.environ.pop("MLGRADE_UID", "0"))
    if uid and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def _fingerprint(code):
    """What a code object does, independent of its file name and line numbers."""
    consts = tuple(_fingerprint(c) if hasattr(c, "co_code") else (type(c).__name__, repr(c)) for c in code.co_consts)
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            code.co_argcount, code.co_kwonlyargcount, consts)


_ABSENT = object()  # a module attribute that is missing


class Guard:
    """The test guard of one kernel: an audit hook over the namespaces the tests rely on (step 4 above).

    ``spec`` holds the HMAC ``key`` and the guarded ``tests`` (grade id -> wrapped
    source, see :func:`mlgrade.guard.wrap_test`); ``log_fd`` is the guard log,
    open for writing. :meth:`install` adds the hook; it arms itself at the first
    cell IPython compiles (ipykernel and IPython have set themselves up by then,
    and no student code has run).
    """

    #: Audit events refused once armed: each would reach the guard itself.
    BLOCKED = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace",
                         "sys.setprofile", "sys.addaudithook", "ctypes.dlopen", "ctypes.dlsym",
                         "ctypes.addressof", "sys._current_frames"})
    #: Unsigned "attempt open" lines written at most, per kernel.
    MAX_OPEN_REPORTS = 20

    def __init__(self, spec, log_fd):
        import builtins
        import importlib
        import threading

        self.threading = threading
        self.key = spec["key"].encode()
        self.log_fd = log_fd
        for name in TRUSTED:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        self.modules = {name: sys.modules[name] for name in TRUSTED if name in sys.modules}
        self.sys_modules = sys.modules
        self.snapshot = {}
        self.real_builtins = vars(builtins)
        self.expected = {}
        for grade_id, source in spec.get("tests", {}).items():
            code = compile(source, "<mlgrade>", "exec")
            for const in code.co_consts:
                if hasattr(const, "co_code") and const.co_name == "__mlgrade_test__":
                    self.expected[grade_id] = _fingerprint(const)
        spec.pop("tests", None)  # keep no test source in memory longer than needed
        mlcalc = self.modules.get("mlcalc")
        self.prefixes = tuple({sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(importlib.__file__))}
                              | {os.path.dirname(mlcalc.__file__) if mlcalc is not None else sys.prefix})
        # Where a notebook may legitimately read: anything else is reported (the sandbox
        # has nothing else to show, so such an open fails anyway).
        self.allowed = self.prefixes + (os.getcwd(), os.environ.get("HOME", "/nonexistent"), "/tmp", "/proc",
                                        "/dev", "/usr", "/etc", "/lib", "/bin", "/sys")
        self.busy = False  # the hook is handling an mlgrade event (its own audited calls pass)
        self.armed = False
        self.active = None  # the grade id of the test running
        self.tampered = None  # why the active test was stopped
        self.outside = 0  # "attempt open" lines written
        self.forks = 0
        self.pid = os.getpid()

    def install(self):
        sys.addaudithook(self.hook)

    def write(self, line):
        try:
            os.write(self.log_fd, (line.replace("\n", " ") + "\n").encode())
        except OSError:
            pass

    def signed(self, text):
        return text + " " + hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def arm(self):
        for name, module in self.modules.items():
            self.snapshot[name] = {k: v for k, v in vars(module).items()
                                   if not (name == "builtins" and k in SHELL_BUILTINS)}
        self.armed = True

    @staticmethod
    def watched(name, attr, value):
        """Whether a new attribute counts as a patch (IPython's own names and imported submodules do not)."""
        return not (name == "builtins" and attr in SHELL_BUILTINS) and type(value).__name__ != "module"

    def changes(self):
        """What differs from the snapshot: replaced, deleted or added names, and ``sys.modules`` entries."""
        found = []
        if sys.modules is not self.sys_modules:
            found.append("sys.modules")
        for name, module in self.modules.items():
            if self.sys_modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}]")
            current = vars(module)
            before = self.snapshot[name]
            for attr, value in before.items():
                if current.get(attr, _ABSENT) is not value:
                    found.append(f"{name}.{attr}")
            for attr, value in current.items():
                if attr not in before and self.watched(name, attr, value):
                    found.append(f"{name}.{attr}")
        return found

    def restore(self):
        sys.modules = self.sys_modules
        for name, module in self.modules.items():
            self.sys_modules[name] = module
            current = vars(module)
            before = self.snapshot[name]
            for attr in [a for a, v in current.items() if a not in before and self.watched(name, a, v)]:
                del current[attr]
            current.update(before)

    def foreign_thread(self):
        """The file of student code another thread runs, if one does."""
        me = self.threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            while frame is not None:
                filename = frame.f_code.co_filename
                if not filename.startswith(self.prefixes) and not filename.startswith("<frozen"):
                    return filename
                frame = frame.f_back
        return None

    def genuine(self, frame, grade_id):
        """Whether ``frame`` runs the instructor's test ``grade_id`` with the real builtins."""
        return (grade_id in self.expected and frame.f_builtins is self.real_builtins
                and _fingerprint(frame.f_code) == self.expected[grade_id])

    def hook(self, event, args):
        if self.busy:
            return
        if not self.armed:
            if event == "compile" and len(args) > 1 and isinstance(args[1], str) \
                    and ("ipykernel_" in args[1] or args[1].startswith("<ipython-input")):
                self.arm()
            else:
                return
        if event in self.BLOCKED:
            self.write(f"refused {event}")
            raise RuntimeError(f"{event} is not allowed while grading")
        if event == "open" and args and isinstance(args[0], str) and args[0].startswith("/proc/") \
                and args[0].rstrip("/").endswith(("/mem", "/environ")):
            self.write(f"refused open {args[0]}")
            raise PermissionError(f"reading {args[0]} is not allowed while grading")
        if event == "socket.connect" or event == "socket.bind":
            self.write(f"attempt {event} {args[1:]!r}"[:300])
            return
        if event == "os.fork":
            self.forks += 1
            if self.forks == 1 and os.getpid() == self.pid:
                limit = resource.getrlimit(resource.RLIMIT_NPROC)[0]
                self.write(f"attempt fork: the notebook starts processes; the process limit ({limit} "
                           f"processes and threads) bounds them")
            return
        if event == "open" and args and isinstance(args[0], str) and self.outside < self.MAX_OPEN_REPORTS:
            path = os.path.abspath(args[0])
            if not path.startswith(self.allowed):
                self.outside += 1
                self.write(f"attempt open {path}"[:300])
            return
        if not event.startswith("mlgrade."):
            return
        self.busy = True
        try:
            self.test_event(event, str(args[0]) if args else "", sys._getframe(1))
        finally:
            self.busy = False

    def test_event(self, event, grade_id, frame):
        """``mlgrade.begin``, ``.check`` or ``.passed`` of the test ``grade_id``, sent from ``frame``."""
        if not self.genuine(frame, grade_id):
            self.write(f"forged {event} {grade_id}")
            raise RuntimeError("mlgrade events may only come from the instructor's test code")
        if event == "mlgrade.begin":
            found = self.changes()
            if found:
                self.write(f"restored {grade_id} " + ",".join(found[:20]))
            self.restore()
            self.active, self.tampered = grade_id, None
        elif event == "mlgrade.check" and self.active == grade_id:
            found = self.changes()
            thread = self.foreign_thread()
            if found or thread:
                reason = ("patched during the test: " + ", ".join(found[:5])) if found \
                    else f"another thread runs student code ({thread})"
                self.tampered = reason
                self.write(self.signed(f"tampered {grade_id} {reason}"))
                self.restore()
                raise AssertionError(f"the grader stopped this test: {reason}")
        elif event == "mlgrade.passed" and self.active == grade_id and self.tampered is None:
            self.write(self.signed(f"passed {grade_id}"))
            self.active = None


def main():
    spec = {}
    log_fd = None
    key_fd = os.environ.pop("MLGRADE_KEY_FD", "")
    if key_fd:  # grading without root: the key comes through a pipe, closed once read
        with os.fdopen(int(key_fd), "rb") as handle:
            spec = json.loads(handle.read() or b"{}")
        log_fd = os.open(LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    elif os.path.exists(KEY_FILE):
        with open(KEY_FILE) as handle:
            spec = json.load(handle)
        log_fd = os.open(LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    _drop_privileges()
    _limits()
    if spec.get("key"):
        Guard(spec, log_fd).install()
    sys.argv = ["ipykernel_launcher"] + sys.argv[1:]
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
