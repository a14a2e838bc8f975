"""Run every ``bench/bench_*.py`` module's ``main()`` in alphabetical order.

Usage, from the repository root::

    .venv/bin/python -m bench            # all benchmarks
    .venv/bin/python -m bench optim nn   # only bench_optim.py and bench_nn.py

A benchmark that raises is reported and the others still run; the exit
status is 1 if any failed.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    """The benchmark module names (``bench_*``), sorted."""
    return sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = discover()
    if argv:
        wanted = {name if name.startswith("bench_") else f"bench_{name}" for name in argv}
        unknown = sorted(wanted - set(names))
        if unknown:
            print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
            return 2
        names = [name for name in names if name in wanted]
    failed = []
    for name in names:
        heading = f"{name} ({__package__}/{name}.py)"
        print(f"\n{heading}\n{'=' * len(heading)}", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"{__package__}.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"[{name}: {time.perf_counter() - start:.1f} s]", flush=True)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
