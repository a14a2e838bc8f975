"""The course gradebook on PostgreSQL (``DB_URL``): a real server, started as the postgres user in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURES, read_grades, reference, submit

def postgres_bin() -> Path:
    """The bin folder of the newest PostgreSQL server installed (Debian: /usr/lib/postgresql/<N>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
                   if p.parts[-3].isdigit() else 0)
    assert found, "PostgreSQL's server is not installed (no /usr/lib/postgresql/<N>/bin/initdb): " \
                  "run tools/install-test-deps.sh, or apt-get install postgresql"
    return found[-1].parent


@pytest.fixture
def postgres():
    PG_BIN = postgres_bin()
    assert os.geteuid() == 0, "the PostgreSQL test runs the server as the postgres user: run make test as root"
    assert shutil.which("runuser"), "runuser (util-linux) is missing: apt-get install util-linux"
    # pytest's temp folders are private to root: the server's folder must be reachable by postgres.
    root = Path(tempfile.mkdtemp(prefix="mlg-pg-"))
    root.chmod(0o755)
    home = root / "pg"
    home.mkdir()
    shutil.chown(home, "postgres")

    def as_postgres(*argv):
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True, capture_output=True)

    as_postgres(PG_BIN / "initdb", "-D", home / "data", "-A", "trust", "-U", "grader")
    as_postgres(PG_BIN / "pg_ctl", "-D", home / "data", "-o", f"-k {home} -c listen_addresses=''",
                "-l", home / "log", "-w", "start")
    try:
        as_postgres(PG_BIN / "createdb", "-h", home, "-U", "grader", "gradebook")
        yield f"postgresql+psycopg2://grader@/gradebook?host={home}"
    finally:
        as_postgres(PG_BIN / "pg_ctl", "-D", home / "data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.xdist_group("grading-fixture")
def test_grade_into_a_postgresql_gradebook(postgres, tmp_path):
    subs = tmp_path / "subs"
    submit(subs, "amy", "00-fixture", reference(FIXTURES, "00-fixture"), "fixture.ipynb")
    (subs / "bo").mkdir()
    grades = tmp_path / "grades.csv"
    cmd = ["make", "--no-print-directory", "grade", f"SUBMISSIONS={subs}", f"GRADES={grades}", f"SOURCE={FIXTURES}",
           f"DB_URL={postgres}", f"WORK={tmp_path / 'work'}", "JOBS=1"]
    proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = {r["student_id"]: r for r in read_grades(grades)}
    assert float(rows["amy"]["raw_score"]) == 3.0 and float(rows["bo"]["raw_score"]) == 0.0
    assert float(rows["amy"]["max_score"]) == 4.0
