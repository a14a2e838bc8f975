"""Build one chapter alone, as the book would, to check it before a full build.

Copies the book's pages (and its Sphinx extension and config) into
``_build/preview/<chapter>/``, executes that chapter only and builds HTML with
warnings as errors. The other pages are read but not executed, so that the
chapter's references to them resolve as in the full book. Several previews can
run at once: each has its own folder and its own execution cache.

Usage: python tools/preview_chapter.py book/02-derivatives.md
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    chapter = (ROOT / sys.argv[1]).resolve() if not Path(sys.argv[1]).is_absolute() else Path(sys.argv[1])
    if not chapter.is_file() or chapter.suffix != ".md":
        print(f"error: {sys.argv[1]} is not a Markdown chapter file", file=sys.stderr)
        return 2
    if not (ROOT / "_vendor").is_dir():
        print("error: _vendor/ is missing; run 'make vendor' first", file=sys.stderr)
        return 2
    work = ROOT / "_build" / "preview" / chapter.stem
    source = work / "src"
    if source.exists():
        shutil.rmtree(source)
    (source / "book").mkdir(parents=True)
    for page in (ROOT / "book").iterdir():  # every page, and the figures or data the chapter may include
        if page.is_dir() and page.name != "__pycache__":
            shutil.copytree(page, source / "book" / page.name)
        elif page.suffix == ".md":
            shutil.copy(page, source / "book" / page.name)
    shutil.copy(chapter, source / "book" / chapter.name)
    (source / "_vendor").symlink_to(ROOT / "_vendor")
    shutil.copytree(ROOT / "tools" / "sphinx", source / "tools" / "sphinx")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["cache"] = str(work / "jupyter_cache")
    others = sorted(page.name for page in (source / "book").glob("*.md") if page.name != chapter.name)
    config["execute"]["exclude_patterns"] = [f"book/{name}" for name in others]
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = [toc["root"]] + [entry["file"] for part in toc.get("parts", []) for entry in part.get("chapters", [])]
    if f"book/{chapter.stem}" not in listed:  # a chapter being drafted: previewed as the book's last one
        toc["parts"][-1]["chapters"].append({"file": f"book/{chapter.stem}"})
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "--path-output",
               str(work), "--builder", "html", "-n", "-W", "--keep-going"]
    completed = subprocess.run(command, cwd=source)
    if completed.returncode == 0:
        print(f"Preview: file://{work / '_build' / 'html' / 'book' / (chapter.stem + '.html')}")
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
