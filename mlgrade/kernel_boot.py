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
   an audit hook (which no Python code can remove) that
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


def _install_guard(spec, log_fd):
    import builtins
    import importlib
    import threading

    key = spec["key"].encode()
    for name in TRUSTED:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    modules = {name: sys.modules[name] for name in TRUSTED if name in sys.modules}
    snapshot = {}
    real_builtins = vars(builtins)
    expected = {}
    for grade_id, source in spec.get("tests", {}).items():
        code = compile(source, "<mlgrade>", "exec")
        for const in code.co_consts:
            if hasattr(const, "co_code") and const.co_name == "__mlgrade_test__":
                expected[grade_id] = _fingerprint(const)
    spec.pop("tests", None)  # keep no test source in memory longer than needed
    prefixes = tuple({sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(importlib.__file__))}
                     | {os.path.dirname(modules["mlcalc"].__file__) if "mlcalc" in modules else sys.prefix})
    state = {"busy": False, "active": None, "tampered": None, "armed": False, "outside": 0, "forks": 0,
             "pid": os.getpid()}
    # Where a notebook may legitimately read: anything else is reported (the sandbox
    # has nothing else to show, so such an open fails anyway).
    allowed = prefixes + (os.getcwd(), os.environ.get("HOME", "/nonexistent"), "/tmp", "/proc", "/dev", "/usr",
                          "/etc", "/lib", "/bin", "/sys")
    blocked = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace", "sys.setprofile",
               "sys.addaudithook", "ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof", "sys._current_frames"}

    def write(line):
        try:
            os.write(log_fd, (line.replace("\n", " ") + "\n").encode())
        except OSError:
            pass

    def signed(text):
        return text + " " + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def arm():
        # At the first cell: ipykernel and IPython have finished setting themselves up
        # (they use sys.settrace, add names to builtins), no student code has run yet.
        for name, module in modules.items():
            snapshot[name] = {k: v for k, v in vars(module).items() if not (name == "builtins" and k in SHELL_BUILTINS)}
        state["armed"] = True

    def watched(name, attr, value):
        return not (name == "builtins" and attr in SHELL_BUILTINS) and type(value).__name__ != "module"

    def changes():
        found = []
        if sys.modules is not sys_modules:
            found.append("sys.modules")
        for name, module in modules.items():
            if sys_modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}]")
            current = vars(module)
            before = snapshot[name]
            for attr, value in before.items():
                if current.get(attr, changes) is not value:
                    found.append(f"{name}.{attr}")
            for attr, value in current.items():
                if attr not in before and watched(name, attr, value):
                    found.append(f"{name}.{attr}")
        return found

    def restore():
        sys.modules = sys_modules
        for name, module in modules.items():
            sys_modules[name] = module
            current = vars(module)
            before = snapshot[name]
            for attr in [a for a, v in current.items() if a not in before and watched(name, a, v)]:
                del current[attr]
            current.update(before)

    def foreign_threads():
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            while frame is not None:
                filename = frame.f_code.co_filename
                if not filename.startswith(prefixes) and not filename.startswith("<frozen"):
                    return filename
                frame = frame.f_back
        return None

    def genuine(frame, grade_id):
        return (grade_id in expected and frame.f_builtins is real_builtins
                and _fingerprint(frame.f_code) == expected[grade_id])

    sys_modules = sys.modules

    def hook(event, args):
        if state["busy"]:
            return
        if not state["armed"]:
            if event == "compile" and len(args) > 1 and isinstance(args[1], str) \
                    and ("ipykernel_" in args[1] or args[1].startswith("<ipython-input")):
                arm()
            else:
                return
        if event in blocked:
            write(f"refused {event}")
            raise RuntimeError(f"{event} is not allowed while grading")
        if event == "open" and args and isinstance(args[0], str) and args[0].startswith("/proc/") \
                and args[0].rstrip("/").endswith(("/mem", "/environ")):
            write(f"refused open {args[0]}")
            raise PermissionError(f"reading {args[0]} is not allowed while grading")
        if event == "socket.connect" or event == "socket.bind":
            write(f"attempt {event} {args[1:]!r}"[:300])
            return
        if event == "os.fork":
            state["forks"] += 1
            if state["forks"] == 1 and os.getpid() == state["pid"]:
                limit = resource.getrlimit(resource.RLIMIT_NPROC)[0]
                write(f"attempt fork: the notebook starts processes; the process limit ({limit} "
                      f"processes and threads) bounds them")
            return
        if event == "open" and args and isinstance(args[0], str) and state["outside"] < 20:
            path = os.path.abspath(args[0])
            if not path.startswith(allowed):
                state["outside"] += 1
                write(f"attempt open {path}"[:300])
            return
        if not event.startswith("mlgrade."):
            return
        state["busy"] = True
        try:
            grade_id = str(args[0]) if args else ""
            frame = sys._getframe(1)
            if not genuine(frame, grade_id):
                write(f"forged {event} {grade_id}")
                raise RuntimeError("mlgrade events may only come from the instructor's test code")
            if event == "mlgrade.begin":
                found = changes()
                if found:
                    write(f"restored {grade_id} " + ",".join(found[:20]))
                restore()
                state["active"], state["tampered"] = grade_id, None
            elif event == "mlgrade.check" and state["active"] == grade_id:
                found = changes()
                thread = foreign_threads()
                if found or thread:
                    reason = ("patched during the test: " + ", ".join(found[:5])) if found \
                        else f"another thread runs student code ({thread})"
                    state["tampered"] = reason
                    write(signed(f"tampered {grade_id} {reason}"))
                    restore()
                    raise AssertionError(f"the grader stopped this test: {reason}")
            elif event == "mlgrade.passed" and state["active"] == grade_id and state["tampered"] is None:
                write(signed(f"passed {grade_id}"))
                state["active"] = None
        finally:
            state["busy"] = False

    sys.addaudithook(hook)


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
        _install_guard(spec, log_fd)
    sys.argv = ["ipykernel_launcher"] + sys.argv[1:]
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
