"""The course's JupyterLab server: chapters that stay clean, folded solutions, learner tools.

Loaded by ``tools/lab/learner_config.py`` and ``tools/lab/instructor_config.py``
(``make lab`` and ``make formgrader``), never by the kernels.

``CourseContentsManager`` is jupytext's contents manager with three changes for
text notebooks (the chapters, ``book/*.md``):

* **Opening marks nothing unsaved.** When a kernel starts, JupyterLab writes the
  kernel's ``kernelspec`` (``display_name: Python 3 (ipykernel)``) and
  ``language_info`` into the notebook, which marks it modified, and autosave
  then rewrites the chapter. The notebook is served with the values the kernel
  will report, so nothing changes when it starts.
* **Saving an unedited chapter writes nothing.** Before writing a text notebook,
  the text jupytext would write for it is compared with the text jupytext
  writes for the file on disk; when they are equal (only outputs, the kernel's
  metadata or folding differ) the file is left untouched. A chapter the learner
  edited is saved normally, with its original kernelspec.
* **Solutions are folded.** Code cells between ``{solution-start}`` and
  ``{solution-end}`` are served with their input and output collapsed
  (``jupyter.source_hidden``/``outputs_hidden``, click the ellipsis to open);
  the folding is never written to the file. jupyterlab-myst folds the
  solution's prose (``:class: dropdown``).

``load_jupyter_server_extension`` (the learner's lab only) replaces nbgrader's
``/assignments/validate`` with one that answers a notebook without nbgrader
cells (a chapter, the learner's own notebook) with a sentence instead of a
traceback, and serves ``tools/lab/custom/custom.css`` (``--custom-css``): a
folded solution cell shows "Code folded" instead of its first line, and the
empty box jupyterlab-myst draws for ``{solution-end}`` is hidden.

``python tools/lab/course_lab.py copy-exercises`` (run by ``make lab``) copies
the released assignments into ``my-exercises/``, where the learner works.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext import AsyncTextFileContentsManager
from tornado import web
from traitlets import default

HERE = Path(__file__).resolve().parent
CUSTOM_CSS_DIR = HERE / "custom"

# The opening line of a sphinx-exercise gated directive, in document order.
GATE = re.compile(r"^\s*```\{(solution-start|solution-end)\}", re.MULTILINE)
FOLDED = {"source_hidden": True, "outputs_hidden": True}


def kernel_language_info() -> dict:
    """What an ipykernel on this interpreter reports as ``language_info``."""
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(IPythonKernel.language_info)


def runs_this_interpreter(argv: list[str]) -> bool:
    """Whether a kernelspec's command runs the server's own Python (as jupyter_client resolves it)."""
    if not argv:
        return False
    # jupyter_client starts "python", "python3" and "pythonX.Y" kernels with the server's interpreter.
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if argv[0] in {"python", f"python{sys.version_info[0]}", version}:
        return True
    return Path(argv[0]).resolve() == Path(sys.executable).resolve()


def fold_solutions(nb) -> int:
    """Collapse the code cells inside gated solutions; return how many were folded."""
    inside = False
    folded = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            gates = GATE.findall(cell.source)
            if gates:
                inside = gates[-1] == "solution-start"
        elif cell.cell_type == "code" and inside:
            cell.metadata["jupyter"] = dict(FOLDED)
            folded += 1
    return folded


def unfold(nb) -> None:
    """Remove the folding (ours or the learner's): it never belongs in a chapter's text."""
    for cell in nb.cells:
        cell.metadata.pop("jupyter", None)


class CourseContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager that keeps unedited chapters byte-for-byte unchanged."""

    @default("notebook_metadata_filter")
    def _no_version_stamp(self) -> str:
        # A chapter the learner edits is saved without jupytext's version stamp: the diff is the edit.
        return "-jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version"

    @staticmethod
    def _is_text_notebook(path: str) -> bool:
        return not path.endswith(".ipynb")

    def _kernel_spec(self, name: str):
        if not name:
            return None
        manager = getattr(self.parent, "kernel_spec_manager", None)
        if manager is None:  # outside a server (tests): the kernels this environment has
            from jupyter_client.kernelspec import KernelSpecManager

            manager = KernelSpecManager()
        try:
            return manager.get_kernel_spec(name)
        except Exception:  # noqa: BLE001 - a kernel that is not installed: leave the notebook as written
            self.log.info("course_lab: kernel %r is not installed; the notebook keeps its kernelspec", name)
            return None

    def _serve(self, nb) -> None:
        """Give ``nb`` the metadata JupyterLab would set on it, so that setting it changes nothing."""
        spec = self._kernel_spec(nb.metadata.get("kernelspec", {}).get("name", ""))
        if spec is not None:
            nb.metadata["kernelspec"] = {"name": nb.metadata["kernelspec"]["name"],
                                         "display_name": spec.display_name, "language": spec.language}
            if spec.language == "python" and runs_this_interpreter(spec.argv):
                nb.metadata["language_info"] = kernel_language_info()
        # What JupyterLab's notebook model adds to a notebook that lacks them (its _ensureMetadata).
        nb.metadata.setdefault("kernelspec", {"name": "", "display_name": ""})
        nb.metadata.setdefault("language_info", {"name": ""})
        fold_solutions(nb)

    async def get(self, path, content=True, type=None, format=None, *args, **kwargs):  # noqa: A002
        model = await super().get(path, content, type, format, *args, **kwargs)
        if content and model.get("type") == "notebook" and self._is_text_notebook(model["path"]):
            self._serve(model["content"])
        return model

    async def _disk_notebook(self, path: str):
        os_path = self._get_os_path(path)
        if not os.path.isfile(os_path):
            return None, None
        text = Path(os_path).read_text(encoding="utf-8")
        fmt = jupytext.formats.guess_format(text, Path(os_path).suffix)[0]
        return jupytext.reads(text, fmt={"extension": Path(os_path).suffix, "format_name": fmt}), fmt

    async def save(self, model, path=""):
        path = path.strip("/")
        if model.get("type") != "notebook" or model.get("content") is None or not self._is_text_notebook(path):
            return await super().save(model, path)
        nb = nbformat.from_dict(copy.deepcopy(model["content"]))
        unfold(nb)
        disk, fmt = await self._disk_notebook(path)
        if disk is not None:
            served, written = disk.metadata.get("kernelspec"), nb.metadata.get("kernelspec")
            if served and written and served.get("name") == written.get("name"):
                nb.metadata["kernelspec"] = served
            fmt = {"extension": Path(path).suffix, "format_name": fmt}
            if jupytext.writes(nb, fmt=fmt) == jupytext.writes(disk, fmt=fmt):
                self.log.debug("course_lab: %s is unchanged; not rewriting it", path)
                return await self.get(path, content=False)
        model = dict(model, content=nb)
        return await super().save(model, path)


def is_assignment(notebook_path: Path) -> bool:
    """Whether ``notebook_path`` is an nbgrader notebook (some cell has nbgrader metadata)."""
    if notebook_path.suffix != ".ipynb" or not notebook_path.is_file():
        return False
    try:
        nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any("nbgrader" in cell.get("metadata", {}) for cell in nb.get("cells", []))


def _validate_handlers():
    from nbgrader.server_extensions.validate_assignment.handlers import (
        NbGraderVersionHandler,
        ValidateAssignmentHandler,
    )

    class CourseValidateHandler(ValidateAssignmentHandler):
        """nbgrader's Validate, with a sentence instead of a traceback for non-assignments."""

        def validate_notebook(self, path):
            root = Path(self.root_dir).resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root):
                raise web.HTTPError(403, "Access denied: path outside allowed directory")
            if not is_assignment(target):
                return {"success": False, "value": (
                    f"{path} is not an assignment: Validate checks the assignment notebooks "
                    "(my-exercises/NN-topic/*.ipynb). A chapter has no graded parts; run its "
                    "cells to check your answers to its exercises.")}
            return super().validate_notebook(path)

    return [(r"/assignments/validate", CourseValidateHandler), (r"/nbgrader_version", NbGraderVersionHandler)]


def _jupyter_server_extension_points():
    return [{"module": "course_lab"}]


def _load_jupyter_server_extension(serverapp):
    """Learner's lab: Validate that explains non-assignments, and the course's custom.css."""
    from jupyter_server.utils import url_path_join

    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.settings["root_dir"] = serverapp.root_dir  # what nbgrader's handlers read
    # In place of nbgrader.server_extensions.validate_assignment, which the learner's config disables.
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base_url, pattern), handler)
                                           for pattern, handler in _validate_handlers()])
    # LabApp serves /custom/custom.css (``--custom-css``) from this list, read per request.
    serverapp.web_app.settings["static_custom_path"].insert(0, str(CUSTOM_CSS_DIR))
    serverapp.log.info("course_lab: learner's lab (Validate for assignments, %s)", CUSTOM_CSS_DIR)


load_jupyter_server_extension = _load_jupyter_server_extension


# --------------------------------------------------------------------------- my-exercises/

IGNORE_ALL = "# The learner's answers (make lab copies exercises/ here): git ignores this folder.\n*\n"


def copy_exercises(root: Path) -> list[Path]:
    """Copy the released assignments into ``my-exercises/``, never overwriting a file there.

    The learner fills in the copies, so ``exercises/`` stays as released and
    ``git pull`` brings new releases without conflicts; assignments released
    later are added by the next ``make lab``. Returns the files copied.
    """
    source, target = root / "exercises", root / "my-exercises"
    if not source.is_dir():
        raise SystemExit(f"error: {source} does not exist; run make lab from a checkout of the course")
    target.mkdir(exist_ok=True)
    ignore = target / ".gitignore"
    if not ignore.exists():
        ignore.write_text(IGNORE_ALL, encoding="utf-8")
    copied = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        destination = target / relative
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(path.read_bytes())
        copied.append(destination)
    return copied


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["copy-exercises"])
    parser.add_argument("--root", type=Path, default=HERE.parent.parent)
    arguments = parser.parse_args()
    new = copy_exercises(arguments.root.resolve())
    folder = arguments.root / "my-exercises"
    print(f"my-exercises/: {len(new)} new file(s) copied from exercises/" if new
          else f"my-exercises/ is up to date ({folder.resolve()})")
