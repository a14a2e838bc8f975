"""mlgrade: sandboxed, parallel, resumable autograding on top of nbgrader.

Run from the repository root (it is not installed and ``mlcalc`` never imports it)::

    .venv/bin/python -m mlgrade grade --submissions DIR --grades FILE.csv [--jobs N | --scheduler tcp://H:P] [limits]
    .venv/bin/python -m mlgrade feedback [--out _grading/feedback]
    .venv/bin/python -m mlgrade bench [--copies 40]

(``make grade SUBMISSIONS=... GRADES=...``, ``make feedback``, ``make bench-grade``,
``make exchange-release``, ``make exchange-collect``, ``make collect``, ``make grade-worker``.)

Design: nbgrader's ``autograde`` stays the grading engine (its gradebook, its
``OverwriteCells`` from the instructor's cells and points, its
``SaveAutoGrades``, its CSV export); mlgrade decides *where* and *how* it runs.

* One worker process per (student, assignment) (:mod:`mlgrade.worker`) runs
  ``autograde`` in a private course folder with its own SQLite gradebook and a
  copy of the submission, after repairing what nbgrader cannot grade (invalid
  JSON, deleted or duplicated grade cells, altered metadata). The parent
  (:mod:`mlgrade.grade`) runs ``--jobs`` workers at once and alone writes the
  course gradebook, merging one result at a time, then records it in a ledger:
  a killed run resumes where it stopped. A worker's task and its result travel
  as JSON checked on arrival (:mod:`mlgrade.results`), never as pickles.
* The kernel of every notebook runs in a bubblewrap sandbox
  (:mod:`mlgrade.sandbox`: ``Execute.kernel_manager_class`` is nbgrader's own
  configuration hook): no network, read-only Python, venv and ``mlcalc``,
  nothing of the repository, the gradebook or other students, an unprivileged
  uid with memory, process and file-size limits. If the sandbox cannot start,
  grading stops unless ``--unsafe-no-sandbox`` is given.
* Execution (:mod:`mlgrade.execute`) keeps the points of completed parts when
  the kernel dies, and enforces a per-notebook wall-clock limit next to
  nbgrader's per-cell timeout.
* A guard (:mod:`mlgrade.guard`, ``kernel_boot.py``) makes monkeypatching of
  the test helpers, or of IPython, fail the tests instead of passing them.
* Feedback (:mod:`mlgrade.feedback`) is rendered from the results, never with
  a test's source or a traceback.
* Submissions arrive through nbgrader's exchange (:mod:`mlgrade.exchange`:
  ``release_assignment`` and ``collect``, refusing a submission made in another
  student's name) or from an LMS download (:mod:`mlgrade.collect`: ``zip_collect``).
* With ``--scheduler`` the workers run on a Dask distributed cluster
  (:mod:`mlgrade.cluster`): each submission travels as bytes to a worker that
  runs the same worker command in the same sandbox; merging stays in the parent.

Limits and their defaults: :mod:`mlgrade.limits`.
"""

import functools
import os
import sys

__all__ = ["prepare_nbgrader"]


def prepare_nbgrader() -> None:
    """Make nbgrader work from this process; called by the entry points, not on import.

    * nbgrader shells out to ``alembic`` (from the virtual environment) when it
      opens a gradebook: the interpreter's own bin folder goes on ``PATH``, even
      when the venv is not activated (``.venv/bin/python -m mlgrade``);
    * when it creates a gradebook it runs ``alembic heads`` in a subprocess to
      learn its own migration head (3-4 s of CPU on these machines, mostly
      imports); :func:`alembic_head` reads the same head from nbgrader's
      migration scripts in this process (0.2 s), once per process;
    * nbgrader 0.9 with SQLAlchemy 2 warns on every new submission (autoflush):
      harmless noise, silenced.

    Calling it again does nothing more.
    """
    import warnings

    import nbgrader.api

    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    nbgrader.api.get_alembic_version = alembic_head


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """The head revision of nbgrader's gradebook migrations, as ``alembic heads`` prints it.

    nbgrader writes it into every gradebook it creates; it depends only on the
    installed nbgrader.

    Examples
    --------
    >>> len(alembic_head()) == 12 and alembic_head().isalnum()
    True
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import nbgrader

    config = Config()
    config.set_main_option("script_location", os.path.join(os.path.dirname(nbgrader.__file__), "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()
