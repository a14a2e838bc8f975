"""mlcalc.plot is a package by topic; everything chapters, tests and assignments import stays importable."""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import mlcalc.plot

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ["calculus", "integrals", "surfaces", "descent", "networks", "probability", "classifiers",
          "regularization"]


def test_every_topic_function_is_re_exported_once():
    exported = []
    for topic in TOPICS:
        module = importlib.import_module(f"mlcalc.plot.{topic}")
        for name in module.__all__:
            assert getattr(mlcalc.plot, name) is getattr(module, name)
            assert getattr(module, name).__module__ == module.__name__
        exported += module.__all__
    exported += ["new_figure", "label_axes"]  # the shared core
    assert sorted(exported) == sorted(mlcalc.plot.__all__)
    assert len(set(exported)) == len(exported)


def _code_of_chapters_and_assignments() -> list[tuple[str, str]]:
    sources = [(path.name, path.read_text(encoding="utf-8")) for path in sorted((ROOT / "book").glob("*.md"))]
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources.append((path.name, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")))
    return sources


def test_names_chapters_and_assignments_import_from_mlcalc_plot_exist():
    # the import statements themselves (they may span lines), parsed as Python
    statement = re.compile(r"^[ \t]*from mlcalc\.plot import (\([^)]*\)|[^\n]*)", re.MULTILINE)
    seen = 0
    for name, text in _code_of_chapters_and_assignments():
        for match in statement.finditer(text):
            node = ast.parse(match.group(0).strip()).body[0]
            for alias in node.names:
                assert hasattr(mlcalc.plot, alias.name), f"{name} imports {alias.name} from mlcalc.plot"
                seen += 1
        for attribute in re.findall(r"mlcalc\.plot\.([A-Za-z_]\w*)", text):
            assert hasattr(mlcalc.plot, attribute), f"{name} uses mlcalc.plot.{attribute}"
    assert seen > 20  # the chapters do import their figures from here
