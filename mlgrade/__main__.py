"""Command line of mlgrade: ``python -m mlgrade {grade,feedback,collect,exchange-release,exchange-collect,bench} ...`` (run from the repository root)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .course import GRADING, REPO, CourseError
from .limits import Limits, load
from .sandbox import SandboxError


def _limit_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits (defaults: mlgrade/limits.py; file: mlgrade.toml [limits])")
    group.add_argument("--config", type=Path, default=REPO / "mlgrade.toml", help="limits file (TOML)")
    group.add_argument("--cell-timeout", type=int, help="seconds per cell (default 30)")
    group.add_argument("--notebook-timeout", type=int, help="wall-clock seconds per notebook (default 300)")
    group.add_argument("--memory-mb", type=int, help="kernel address space in MiB (default 3072)")
    group.add_argument("--processes", type=int, help="processes/threads of the kernel (default 96)")
    group.add_argument("--file-size-mb", type=int, help="largest file the kernel may write (default 64)")


def _limits(args: argparse.Namespace) -> Limits:
    return load(args.config, {"cell_timeout": args.cell_timeout, "notebook_timeout": args.notebook_timeout,
                              "memory_mb": args.memory_mb, "processes": args.processes,
                              "file_size_mb": args.file_size_mb})


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, default=REPO / "solutions",
                        help="instructor sources, one folder per assignment (default: solutions/)")
    parser.add_argument("--db-url", default=None,
                        help="course gradebook (default: $DB_URL or sqlite:///_grading/gradebook.db)")
    parser.add_argument("--work", type=Path, default=None,
                        help="private work area (default: _grading/work/<hash of the gradebook URL>)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlgrade", description="Sandboxed autograding on nbgrader.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<assignment>/*.ipynb into a grade CSV")
    g.add_argument("--submissions", type=Path, required=True, help="folder <student>/<assignment>/*.ipynb (never modified)")
    g.add_argument("--grades", type=Path, required=True, help="CSV to write (nbgrader export format)")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)")
    g.add_argument("--scheduler", default=None, metavar="tcp://host:port",
                   help="grade on this Dask scheduler's workers instead of local processes (--jobs is ignored)")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code WITHOUT the sandbox, with your rights (only if bwrap cannot work)")
    _common(g)
    _limit_options(g)

    f = sub.add_parser("feedback", help="write one HTML report per student and assignment")
    f.add_argument("--out", type=Path, default=GRADING / "feedback", help="output folder (default: _grading/feedback)")
    _common(f)

    b = sub.add_parser("bench", help="serial against parallel grading of N copies of one reference submission")
    b.add_argument("--copies", type=int, default=40)
    b.add_argument("--assignment", default=None, help="default: the first assignment")
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    b.add_argument("--source", type=Path, default=REPO / "solutions")
    b.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each run keeps its best (default 3)")

    c = sub.add_parser("collect", help="LMS download (zip or folder) into <out>/<student>/<assignment>/")
    c.add_argument("--download", type=Path, required=True, help="a zip file, or a folder of files and zips")
    c.add_argument("--assignment", required=True, help="assignment name, e.g. 01-limits")
    c.add_argument("--out", type=Path, default=GRADING / "submitted", help="default: _grading/submitted")
    c.add_argument("--pattern", default=None, help="file-name regexp with student_id, file_id[, timestamp]")
    c.add_argument("--duedate", default=None, help="list submissions later than this (ISO date-time, UTC)")

    r = sub.add_parser("exchange-release", help="release an assignment of exercises/ to the nbgrader exchange")
    r.add_argument("--assignment", required=True, nargs="+", help="assignment name(s), e.g. 01-limits")
    r.add_argument("--exchange", type=Path, default=None, help="exchange folder (default: /usr/local/share/nbgrader/exchange)")
    r.add_argument("--release", type=Path, default=REPO / "exercises", help="student versions (default: exercises/)")

    x = sub.add_parser("exchange-collect", help="collect submissions from the nbgrader exchange into <out>")
    x.add_argument("--assignment", required=True, nargs="+", help="assignment name(s), e.g. 01-limits")
    x.add_argument("--exchange", type=Path, default=None, help="exchange folder (default: /usr/local/share/nbgrader/exchange)")
    x.add_argument("--out", type=Path, default=GRADING / "submitted", help="default: _grading/submitted")
    x.add_argument("--duedate", default=None, help="list submissions later than this (ISO date-time, UTC)")

    w = sub.add_parser("worker", help=argparse.SUPPRESS)
    w.add_argument("spec")
    v = sub.add_parser("serve", help=argparse.SUPPRESS)  # a long-lived worker of mlgrade.pool
    v.add_argument("--parent", type=int, default=None, help="pid of the grading run; ends with it")

    args = parser.parse_args(argv)
    from . import prepare_nbgrader

    prepare_nbgrader()
    try:
        if args.command == "worker":
            from .worker import main as worker_main
            return worker_main(args.spec)
        if args.command == "serve":
            from .pool import serve
            return serve(parent=args.parent)
        if args.command == "grade":
            from .grade import default_db_url, grade
            if not args.submissions.is_dir():
                parser.error(f"--submissions: folder {args.submissions} does not exist")
            if args.scheduler and "://" not in args.scheduler:
                parser.error(f"--scheduler: expected an address like tcp://host:8786, got {args.scheduler!r}")
            if args.jobs < 1:
                parser.error("--jobs must be at least 1")
            limits = _limits(args)
            if args.unsafe_no_sandbox:
                print("warning: grading WITHOUT the sandbox (--unsafe-no-sandbox): student code runs with "
                      "your rights, no network or file isolation, no guard.", file=sys.stderr)
            outcome = grade(args.submissions, args.grades, source_dir=args.source,
                            db_url=args.db_url or default_db_url(), jobs=args.jobs, limits=limits,
                            unsafe_no_sandbox=args.unsafe_no_sandbox, work=args.work,
                            scheduler=args.scheduler)
            for (student, name), result in sorted(outcome.results.items()):
                for line in ([result.error] if result.error else []) + result.notes:
                    print(f"  {student}/{name}: {line}")
            print(f"grades: {args.grades} ({outcome.graded} graded, {outcome.reused} already in the gradebook, "
                  f"{outcome.seconds:.1f} s)")
            if outcome.pending:
                print(f"{len(outcome.pending)} written answer(s) await manual grading (their points are not yet "
                      f"in the scores above); grade them in formgrader (make formgrader), then run make grade "
                      f"again:")
                for item in outcome.pending:
                    print(f"  pending: {item}")
            return 0
        if args.command == "feedback":
            from .feedback import write_all
            from .grade import default_db_url, default_work
            db_url = args.db_url or default_db_url()
            work = args.work or default_work(db_url)
            written, missing = write_all(work, args.out, args.source, db_url)
            print(f"feedback: {len(written)} report(s) in {args.out}"
                  + (f"; no report for {len(missing)} assignment(s) not submitted" if missing else ""))
            return 0
        if args.command == "collect":
            from .collect import DEFAULT_PATTERN, collect
            for line in collect(args.download, args.assignment, args.out, pattern=args.pattern or DEFAULT_PATTERN,
                                duedate=args.duedate):
                print(line)
            return 0
        if args.command in ("exchange-release", "exchange-collect"):
            from . import exchange
            root = args.exchange or exchange.DEFAULT_EXCHANGE
            for name in args.assignment:
                if args.command == "exchange-release":
                    lines = exchange.release(name, exchange=root, release_dir=args.release)
                else:
                    lines = exchange.collect(name, args.out, exchange=root, duedate=args.duedate)
                for line in lines:
                    print(line)
            return 0
        if args.command == "bench":
            from .bench import bench
            return bench(args.source, args.assignment, args.copies, args.jobs, args.rounds)
    except (CourseError, SandboxError, ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
