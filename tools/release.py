"""Regenerate the student release ``exercises/`` from the instructor sources ``solutions/``.

For every assignment folder ``solutions/<name>/`` nbgrader's
``generate_assignment`` runs in a private temporary course (its own
gradebook), so the course gradebook is never touched. The result then replaces
``exercises/<name>/`` file by file, writing only files whose bytes differ:
running this twice changes nothing. Folders of ``exercises/`` with no source
are removed (dotfiles such as ``.gitkeep`` stay). Every released file is checked for solution or hidden-test text
before anything is written; a malformed source notebook stops the release with
the file and the reason.

Usage: ``python tools/release.py [--source solutions] [--release exercises] [--assignment NAME ...]``
(``make release``).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlgrade import prepare_nbgrader  # noqa: E402
from mlgrade.course import CourseError, assignments, generate, hidden_snippets, leaks, notebooks, read_source  # noqa: E402


def build(source_dir: Path, out_dir: Path, only: list[str] | None = None) -> list[str]:
    """Generate the release of every assignment of ``source_dir`` (or of ``only``) into ``out_dir`` (a fresh folder)."""
    names = assignments(source_dir)
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise CourseError(f"no assignment {unknown} in {source_dir} (there are: {', '.join(names) or 'none'})")
        names = [name for name in names if name in only]
    with tempfile.TemporaryDirectory(prefix="mlgrade-release-") as tmp:
        course = Path(tmp)
        db_url = f"sqlite:///{course / 'gradebook.db'}"
        for name in names:
            released = generate(source_dir, name, course, db_url)
            snippets = [s for path in notebooks(source_dir, name) for s in hidden_snippets(read_source(path))]
            for path in sorted(released.rglob("*")):
                if path.is_file() and path.suffix in {".ipynb", ".py", ".md", ".txt"}:
                    found = leaks(path.read_text(encoding="utf-8", errors="replace"), snippets)
                    if found:
                        raise CourseError(f"release of {path.relative_to(released.parent)} would leak: {found[:3]}")
            shutil.copytree(released, out_dir / name)
    return names


def sync(fresh: Path, target: Path) -> list[str]:
    """Make ``target`` byte-identical to ``fresh``, writing only what differs. Returns changed paths."""
    changed = []
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(fresh.rglob("*")):
        dest = target / path.relative_to(fresh)
        if path.is_dir():
            dest.mkdir(exist_ok=True)
        elif not dest.is_file() or not filecmp.cmp(path, dest, shallow=False):
            shutil.copyfile(path, dest)
            changed.append(str(dest))
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target)
        if not rel.parts[0].startswith(".") and not (fresh / rel).exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            changed.append(str(path))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REPO / "solutions", help="instructor sources (default: solutions/)")
    parser.add_argument("--release", type=Path, default=REPO / "exercises", help="student release (default: exercises/)")
    parser.add_argument("--assignment", nargs="+", default=None,
                        help="release only these assignments (default: all; other folders are left alone)")
    args = parser.parse_args(argv)
    prepare_nbgrader()
    if not args.source.is_dir():
        parser.error(f"source folder {args.source} does not exist")
    with tempfile.TemporaryDirectory(prefix="mlgrade-fresh-") as tmp:
        try:
            names = build(args.source, Path(tmp), args.assignment)
        except CourseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if args.assignment:
            changed = [c for name in names for c in sync(Path(tmp) / name, args.release / name)]
        else:
            changed = sync(Path(tmp), args.release)
    print(f"release: {len(names)} assignment(s) {', '.join(names) or '(none)'}; "
          f"{len(changed)} file(s) changed in {args.release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
