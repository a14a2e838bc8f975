"""mlgrade: sandboxed, parallel, resumable autograding on top of nbgrader (module docstring filled below)."""

import os
import sys

# nbgrader shells out to ``alembic`` (from the virtual environment) when it opens
# a gradebook: make the interpreter's own bin folder reachable even when the
# venv is not activated (``.venv/bin/python -m mlgrade``).
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

import warnings

# nbgrader 0.9 with SQLAlchemy 2 warns on every new submission (autoflush); harmless noise.
warnings.filterwarnings("ignore", message=".*not in session.*")
