"""JupyterLab configuration shared by the learner's and the instructor's lab.

Loaded through ``load_subconfig`` by ``learner_config.py`` (``make lab``) and
``instructor_config.py`` (``make formgrader``), which ``jupyter lab --config``
reads on top of the user's own Jupyter configuration (nothing global changes).
"""

import os
import sys

c = get_config()  # noqa: F821 (injected by traitlets)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)  # course_lab, in the server process only (kernels do not inherit it)

# The repository root: book/, my-exercises/ and nbgrader_config.py are all reachable.
c.ServerApp.root_dir = ROOT
# jupytext's contents manager, keeping unedited chapters unchanged and folding solutions.
c.ServerApp.contents_manager_class = "course_lab.CourseContentsManager"
# overrides.json: chapters (.md) open as notebooks; no news or update checks (offline).
c.LabApp.app_settings_dir = os.path.join(HERE, "settings")
