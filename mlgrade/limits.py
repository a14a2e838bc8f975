"""Resource limits of a graded notebook, with their defaults and where they come from.

Precedence: command-line options > ``mlgrade.toml`` at the repository root
(section ``[limits]``, same names) > the defaults below.

=================  =========  =====================================================
name               default    meaning
=================  =========  =====================================================
cell_timeout       30         seconds one cell may run before it is interrupted
notebook_timeout   300        wall-clock seconds for a whole notebook (kernel start
                              included); past it the kernel is killed
memory_mb          3072       address space of the kernel (RLIMIT_AS), MiB
processes          96         processes and threads of the kernel's uid (RLIMIT_NPROC)
file_size_mb       64         largest file the kernel may write (RLIMIT_FSIZE), MiB
output_mb          8          output one cell may send to the grader, MiB; past it
                              the rest is dropped and the cell is interrupted
=================  =========  =====================================================

The grading worker itself (nbgrader, outside the sandbox) runs with an address
space of :data:`WORKER_MEMORY_MB`: whatever a submission sends it, one worker
fails alone (that submission gets 0 points and a reason) instead of the machine.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path


#: Address space (RLIMIT_AS, soft) of one grading worker process, MiB.
WORKER_MEMORY_MB = 4096


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = 30
    notebook_timeout: int = 300
    memory_mb: int = 3072
    processes: int = 96
    file_size_mb: int = 64
    output_mb: int = 8

    def as_env(self) -> str:
        """``name=value,...``: how the sandboxed kernel receives them (``MLGRADE_LIMITS``)."""
        return ",".join(f"{k}={v}" for k, v in asdict(self).items())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> Limits:
        """Limits from ``{name: value}`` (a missing name takes its default).

        Raises ValueError naming an unknown limit or a value that is not a positive whole number.
        """
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(known)}")
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limit {name} must be positive, got {value!r}")
        return cls(**values)


def load(config_file: Path | None, overrides: dict[str, int | None]) -> Limits:
    """Defaults, then ``config_file``'s ``[limits]`` table, then non-None ``overrides``."""
    values: dict[str, int] = {}
    if config_file is not None and config_file.is_file():
        table = tomllib.loads(config_file.read_text()).get("limits", {})
        known = {f.name for f in fields(Limits)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"{config_file}: unknown limit(s) {sorted(unknown)}; known: {sorted(known)}")
        values.update({k: int(v) for k, v in table.items()})
    values.update({k: int(v) for k, v in overrides.items() if v is not None})
    return Limits.from_dict(values)
