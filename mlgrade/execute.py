"""nbgrader's ``Execute`` preprocessor, made to survive a dying kernel and to keep a notebook's clock.

* A cell that kills the kernel (``os._exit``, a signal, the memory limit
  killing it) raises ``DeadKernelError`` in nbclient, and nbgrader would then
  fail the whole notebook. Here the cell gets an error output naming what
  happened and every later cell is skipped with the same reason, so the parts
  that completed keep their points.
* A cell that outlives its timeout and its interrupt (nbclient raises
  ``CellTimeoutError``, which would also fail the notebook) gets an error
  output; the next cells still run.
* The notebook's wall-clock limit: before each cell the remaining time is
  checked; a cell gets ``min(cell_timeout, time left)``; once the time is up
  the remaining cells are skipped with the reason.
* A cell's output is capped while it runs (``max_output_bytes``): a cell that
  prints without end would otherwise fill the grader's memory (nbclient keeps
  every message) and its kernel's (output it cannot send fast enough). Past
  the cap, further output is dropped and the kernel is interrupted at once;
  the cell ends with an ``OutputLimit`` error and the next cells run.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from traitlets import Integer

from nbgrader.preprocessors import Execute


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(msg: dict) -> int:
    content = msg.get("content") or {}
    data = content.get("data") or {}
    return len(content.get("text") or "") + sum(len(str(v)) for v in data.values()) + \
        len(str(content.get("traceback") or ""))


class SafeExecute(Execute):
    notebook_timeout = Integer(300, help="wall-clock seconds for the whole notebook").tag(config=True)
    max_output_bytes = Integer(8 * 2 ** 20, help="output one cell may keep while it runs").tag(config=True)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] != "error":  # the interrupt's own error always gets through
            self._output_bytes += _size(msg)
            if self._output_bytes > self.max_output_bytes:
                if not self._output_dropped:
                    self._output_dropped = True
                    interrupted = self.km.interrupt_kernel()
                    if inspect.isawaitable(interrupted):
                        asyncio.ensure_future(interrupted)
                return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = None
        self._deadline = time.monotonic() + self.notebook_timeout
        self._cell_timeout = self.timeout
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            # The kernel died during start-up or between cells: nothing more can run.
            for cell in nb.cells:
                if cell.cell_type == "code" and not cell.get("outputs"):
                    cell.outputs = [_error("KernelDied", "the kernel died before this cell ran")]
            return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, self.resources
        left = self._deadline - time.monotonic()
        if self._stopped is None and left <= 0:
            self._stopped = ("NotebookTimeout", f"the notebook's wall-clock limit of {self.notebook_timeout} s "
                                                f"was reached before this cell ran")
        if self._stopped is not None:
            cell.outputs = [_error(*self._stopped)]
            return cell, self.resources
        shortened = left < self._cell_timeout
        self.timeout = max(1, math.ceil(min(self._cell_timeout, left)))
        self._output_bytes, self._output_dropped = 0, False
        try:
            cell, resources_out = super().preprocess_cell(cell, resources, index)
            self._note_dropped(cell)
            if shortened and any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                # Interrupted by the notebook's clock, not by the cell's own limit: say so.
                for out in cell.outputs:
                    if out.get("ename") == "CellTimeoutError":
                        out["ename"], out["evalue"] = "NotebookTimeout", (
                            f"the notebook's wall-clock limit of {self.notebook_timeout} s ran out in this cell")
                        out["traceback"] = [f"NotebookTimeout: {out['evalue']}"]
                self._stopped = ("NotebookTimeout", f"the notebook's wall-clock limit of {self.notebook_timeout} s "
                                                    f"was reached before this cell ran")
            return cell, resources_out
        except DeadKernelError:
            self._note_dropped(cell)
            reason = ("KernelDied", "the kernel died while running this cell (os._exit, a kill signal, "
                                    "or the memory limit)")
            cell.outputs = list(cell.get("outputs", [])) + [_error(*reason)]
            self._stopped = ("KernelDied", "the kernel died in an earlier cell, so this cell did not run")
            return cell, self.resources
        except CellTimeoutError:
            self._note_dropped(cell)
            # Interrupted after the timeout, the kernel did not answer in time either
            # (e.g. a fork bomb's children hold the output channel): record and go on.
            cell.outputs = list(cell.get("outputs", [])) + [_error(
                "CellTimeoutError", f"the cell did not finish within {self.timeout} s and was interrupted")]
            return cell, self.resources
        finally:
            self.timeout = self._cell_timeout

    def _note_dropped(self, cell) -> None:
        """Name the output limit as the reason the cell stopped (instead of an interrupt)."""
        if not self._output_dropped:
            return
        self._output_dropped = False
        reason = _error("OutputLimit", f"the cell sent more than {self.max_output_bytes // 2 ** 20} MiB of "
                                       f"output; the rest was dropped and the cell interrupted")
        outputs = [o for o in cell.get("outputs", [])
                   if o.get("ename") not in ("KeyboardInterrupt", "CellTimeoutError")]
        cell.outputs = outputs + [reason]


LIMIT_NAMES = {
    "CellTimeoutError": "the per-cell time limit ({cell_timeout} s)",
    "KeyboardInterrupt": "the per-cell time limit ({cell_timeout} s)",
    "MemoryError": "the memory limit ({memory_mb} MiB)",
    "NotebookTimeout": "the notebook's wall-clock limit ({notebook_timeout} s)",
    "KernelDied": "the kernel died (os._exit, a kill signal, or the memory limit)",
    "OutputLimit": "the output limit ({output_mb} MiB)",
}


def limit_notes(nb, limits) -> list[str]:
    """One readable line per cell stopped by a limit (or the process limit), in order."""
    notes = []
    values = {"cell_timeout": limits.cell_timeout, "memory_mb": limits.memory_mb,
              "notebook_timeout": limits.notebook_timeout, "output_mb": limits.output_mb}
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") != "error":
                continue
            name = out.get("ename", "")
            text = str(out.get("evalue", ""))
            if name in LIMIT_NAMES:
                notes.append(f"cell {index + 1}: stopped by {LIMIT_NAMES[name].format(**values)}")
            elif name == "BlockingIOError" or "Resource temporarily unavailable" in text:
                notes.append(f"cell {index + 1}: hit the process limit ({limits.processes} processes)")
            elif name == "GraderGuardError":
                notes.append(f"cell {index + 1}: {text}")
    return notes
