"""The lab's server side (tools/lab/course_lab.py) without a browser: fast checks of the
contents manager that keeps chapters unchanged, the folding of solutions, Validate's
assignment test and the copy of the assignments into my-exercises/."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "lab"))

import course_lab  # noqa: E402

CHAPTER = ROOT / "book" / "01-limits.md"


@pytest.fixture
def manager(tmp_path: Path):
    shutil.copy(CHAPTER, tmp_path / "chapter.md")
    return course_lab.CourseContentsManager(root_dir=str(tmp_path))


def run(coroutine):
    return asyncio.run(coroutine)


def test_chapter_is_served_with_the_kernels_metadata_and_folded_solutions(manager) -> None:
    nb = run(manager.get("chapter.md"))["content"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["language_info"]["name"] == "python"
    folded = [cell for cell in nb["cells"] if cell["metadata"].get("jupyter") == course_lab.FOLDED]
    solutions = CHAPTER.read_text(encoding="utf-8").count("```{solution-start}")
    assert solutions >= 1 and len(folded) >= solutions, (len(folded), solutions)
    for cell in folded:
        assert cell["cell_type"] == "code"


def test_saving_an_unedited_chapter_writes_nothing(manager, tmp_path: Path) -> None:
    path = tmp_path / "chapter.md"
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    model = run(manager.get("chapter.md"))
    nb = model["content"]
    nb["metadata"]["language_info"]["version"] = "0.0"  # what a kernel reports differs: not an edit
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "run"}]
            cell["execution_count"] = 1
    run(manager.save({"type": "notebook", "format": "json", "content": nb}, "chapter.md"))
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_an_edited_chapter_is_saved_with_only_the_edit(manager, tmp_path: Path) -> None:
    path = tmp_path / "chapter.md"
    nb = run(manager.get("chapter.md"))["content"]
    first_code = next(cell for cell in nb["cells"] if cell["cell_type"] == "code")
    first_code["source"] += "\nprint('my note')"
    run(manager.save({"type": "notebook", "format": "json", "content": nb}, "chapter.md"))
    text = path.read_text(encoding="utf-8")
    assert "print('my note')" in text
    assert "jupytext_version" not in text and "format_version" not in text
    assert "display_name: Python 3\n" in text, "the chapter's kernelspec was not kept"
    assert "source_hidden" not in text, "the folding of solutions was written into the chapter"


def test_validate_recognises_assignments_only(tmp_path: Path) -> None:
    assert course_lab.is_assignment(ROOT / "exercises" / "01-limits" / "limits.ipynb")
    assert not course_lab.is_assignment(CHAPTER)
    plain = tmp_path / "mine.ipynb"
    plain.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": ""}]}))
    assert not course_lab.is_assignment(plain)


def test_copy_exercises_never_overwrites_the_learners_work(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "exercises" / "01-limits", tmp_path / "exercises" / "01-limits")
    copied = course_lab.copy_exercises(tmp_path)
    target = tmp_path / "my-exercises" / "01-limits" / "limits.ipynb"
    assert target in copied and target.read_bytes() == (tmp_path / "exercises/01-limits/limits.ipynb").read_bytes()
    assert (tmp_path / "my-exercises" / ".gitignore").read_text().strip().endswith("*")
    target.write_text("my answers")
    assert course_lab.copy_exercises(tmp_path) == []
    assert target.read_text() == "my answers"
    with pytest.raises(SystemExit, match="exercises"):
        course_lab.copy_exercises(tmp_path / "elsewhere")
