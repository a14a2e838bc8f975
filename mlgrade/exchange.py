"""The nbgrader exchange: release to students and collect their submissions (JupyterHub's way).

``make exchange-release ASSIGNMENT=01-limits`` copies ``exercises/01-limits``
into ``<exchange>/mlcalc/outbound/01-limits`` (nbgrader's ``release_assignment``).
Students then use nbgrader's own commands (or the *Assignments* tab of
JupyterLab): ``nbgrader fetch_assignment 01-limits --course mlcalc`` and
``nbgrader submit 01-limits --course mlcalc``; each submission lands in
``<exchange>/mlcalc/inbound/<student>+01-limits+<timestamp>+<random>``.
``make exchange-collect ASSIGNMENT=01-limits`` runs nbgrader's ``collect
--update`` into ``<out>/<student>/01-limits/`` (with ``timestamp.txt``), the
layout ``make grade`` reads: a resubmission replaces an older one, never the
other way round.

nbgrader does the work; this module builds its configuration in code (the
repository's layout: ``exercises/`` is the release) and reports what nbgrader
warned about (a submission owned by another account than it claims, say).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.exchange import Exchange

from .course import COURSE_ID, REPO, late_line, nbgrader_config, nbgrader_failure

#: nbgrader's default exchange folder (``Exchange.root``: ``/usr/local/share/nbgrader/exchange``).
DEFAULT_EXCHANGE = Path(Exchange.root.default_value)


def _owner(path: str) -> str:
    uid = os.lstat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, refusing a submission that another account made in a student's name.

    ``nbgrader submit --student alice`` run by mallory puts a folder named
    ``alice+...`` in the inbound folder, owned by mallory; nbgrader only warns
    and would take it as alice's newest work. Here it is left out and reported.
    Where every submission belongs to one account (JupyterHub containers all
    run as ``jovyan``), ownership tells nobody apart: names are trusted and the
    per-file owner warnings are not repeated.
    """

    refused: list[str] = []

    def init_src(self) -> None:
        super().init_src()  # checks, self.inbound_path and self.duedate
        pattern = os.path.join(self.inbound_path, f"*+{self.coursedir.assignment_id}+*")
        records = [self._path_to_record(f) for f in glob.glob(pattern)]
        owners = {r["filename"]: _owner(os.path.join(self.inbound_path, r["filename"])) for r in records}
        self.refused = []
        if len(set(owners.values())) <= 1:
            self.check_owner = False
        else:
            self.refused = [f"refused {r['filename']}: submitted in {r['username']}'s name by the account "
                            f"{owners[r['filename']]}" for r in records if owners[r["filename"]] != r["username"]]
            records = [r for r in records if owners[r["filename"]] == r["username"]]
        newest = {}
        for record in self._sort_by_timestamp(records):
            on_time = self.duedate is None or not self.before_duedate or record["timestamp"] <= self.duedate
            best = newest.get(record["username"])
            if best is None or (on_time and not best[1]):
                newest[record["username"]] = (record, on_time)
        self.src_records = [record for record, _ in newest.values()]
        for line in self.refused:
            self.log.warning(line)


def _api(exchange: Path, release: Path, submitted: Path, config_hook=None):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(REPO, "sqlite:///:memory:", release=str(release))
    config.CourseDirectory.submitted_directory = str(submitted)
    config.Exchange.root = str(exchange)
    if config_hook:
        config_hook(config)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _warnings(log: str) -> list[str]:
    lines, current = [], None
    for line in log.splitlines():
        if line.startswith("["):
            current = line.strip() if line.startswith("[WARNING]") else None
            if current:
                lines.append(current)
        elif current and line.strip():
            lines[-1] += " " + line.strip()
    return lines


def release(assignment: str, *, exchange: Path = DEFAULT_EXCHANGE, release_dir: Path = REPO / "exercises",
            force: bool = True) -> list[str]:
    """Copy ``release_dir/<assignment>`` to the exchange's outbound folder; return report lines."""
    folder = release_dir / assignment
    if not folder.is_dir() or not any(folder.glob("*.ipynb")):
        known = sorted(p.name for p in release_dir.iterdir() if p.is_dir()) if release_dir.is_dir() else []
        raise FileNotFoundError(f"no released assignment {assignment!r} in {release_dir} "
                                f"(run make release first; released: {', '.join(known) or 'none'})")

    def hook(config):
        config.ExchangeReleaseAssignment.force = force

    api = _api(exchange, release_dir, REPO / "_grading" / "submitted", hook)
    result = api.release_assignment(assignment)
    if not result["success"]:
        raise RuntimeError(f"nbgrader release_assignment failed:\n{nbgrader_failure(result)}")
    target = exchange / COURSE_ID / "outbound" / assignment
    return _warnings(result["log"]) + [f"released {assignment} to {target} "
                                       f"({len(list(target.glob('*.ipynb')))} notebook(s))"]


def collect(assignment: str, out: Path, *, exchange: Path = DEFAULT_EXCHANGE,
            duedate: str | None = None) -> list[str]:
    """Collect every student's newest submission of ``assignment`` into ``out``; return report lines."""
    from nbgrader.utils import parse_utc

    inbound = exchange / COURSE_ID / "inbound"
    if not inbound.is_dir():
        raise FileNotFoundError(f"no inbound folder {inbound}: was the course released to the exchange "
                                f"{exchange} (make exchange-release)?")

    def hook(config):
        config.ExchangeFactory.collect = "mlgrade.exchange.OwnerCheckedCollect"

    api = _api(exchange, REPO / "exercises", out, hook)
    result = api.collect(assignment, update=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader collect failed:\n{nbgrader_failure(result)}")
    lines = _warnings(result["log"])
    # nbgrader logs one line per student it took (collected, updated, or already up to date).
    found = re.findall(r"(?:Collecting submission|Updating submission|No newer submission to collect|"
                       r"Submission already exists[^:]*): (\S+) " + re.escape(assignment), result["log"])
    submitted = set(found)
    due = parse_utc(duedate) if duedate else None
    for student in sorted(submitted):
        late = late_line(student, assignment, out / student / assignment / "timestamp.txt", due)
        if late:
            lines.append(late)
    updated = [line for line in result["log"].splitlines() if "Updating submission" in line]
    lines.append(f"collected {len(submitted)} student(s) for {assignment} into {out}"
                 + (f" ({len(updated)} updated with a newer submission)" if updated else ""))
    return lines
