"""The book's translated editions: gettext catalogues, their checks, and the translated HTML.

The prose of every page is translated with Sphinx's gettext workflow; the code, and so
the executed outputs, figures and numbers, are shared by every edition.

* ``python tools/i18n.py update [PAGE ...]`` extracts the English messages of the book
  (``sphinx-build -b gettext`` into ``_build/gettext``) and merges them into the
  catalogues ``locales/<language>/LC_MESSAGES/<page>.po`` with ``sphinx-intl update``:
  new messages arrive untranslated, changed ones fuzzy (except messages of numbers only,
  which need no translation: never fuzzy, and never translated into other numbers). PAGE is ``book/01-limits`` (or
  ``book/01-limits.md``), or ``sphinx`` for the messages of the book's HTML templates
  (``sphinx.po``); without PAGE every page of ``_toc.yml`` and the templates are updated.
* ``python tools/i18n.py check [PAGE ...]`` fails, naming each message, when a catalogue
  is missing, out of date with the English source, or has an untranslated, fuzzy or
  obsolete message, or a translation whose math (``$…$``, ``$$…$$``), inline code or
  cross-reference targets differ from its English message, or a message of numbers only
  translated into other numbers.
* ``python tools/i18n.py extract`` only extracts the English messages into ``_build/gettext``
  (``make test`` has ``tools/build_book.py --extract-messages`` do it during the build).
* ``python tools/i18n.py html`` builds each translated edition into ``_build/html/<path>``
  (``tools/build_book.py`` runs it beside the English edition).
* ``python tools/i18n.py preview book/01-limits.md`` builds one chapter's translation alone
  (into ``_build/i18n-preview``), from the execution cache of the full build.

Why Jupyter Book's own build function with a ``language`` override: ``jupyter-book build``
has no language option and no way to pass ``-D`` to Sphinx (jupyter-book#1791), but the
function it calls, ``jupyter_book.sphinx.build_sphinx``, takes Sphinx's ``-D`` overrides
(``confoverrides``). Overriding ``language`` there keeps ``_config.yml`` the only
configuration: a generated ``conf.py`` (``jupyter-book config sphinx``) would be a second
copy to regenerate after every change of ``_config.yml``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
LOCALES = ROOT / "locales"
POT_DIR = BUILD / "gettext"
GLOSSARY = ROOT / "book" / "glossary.md"
REDIRECT = '<meta http-equiv="Refresh" content="0; url={first_page}" />\n'


# --------------------------------------------------------------------------- configuration

def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def editions() -> dict[str, dict]:
    """``book_editions`` of ``_config.yml``: language -> {path, label}."""
    found = (book_config().get("sphinx", {}).get("config", {}) or {}).get("book_editions") or {}
    if not found:
        raise SystemExit("error: _config.yml has no sphinx.config.book_editions")
    return found


def translated_languages() -> list[str]:
    """The languages of the translated editions (every edition but the root one)."""
    return [language for language, edition in editions().items() if edition["path"]]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters", [])]
    return pages


# The messages of the book's own HTML templates (tools/sphinx/templates, e.g. the "Live code" button):
# Sphinx extracts them into sphinx.pot and translates them with the catalogue sphinx.po.
TEMPLATE_CATALOGUE = "sphinx"


def catalogues() -> list[str]:
    """Every catalogue of an edition: one per page of ``_toc.yml``, and the templates' one."""
    return [*toc_pages(), TEMPLATE_CATALOGUE]


def page_name(argument: str) -> str:
    """``book/01-limits.md``, ``book/01-limits`` or an absolute path -> ``book/01-limits``."""
    if argument == TEMPLATE_CATALOGUE:
        return argument
    path = Path(argument)
    if path.is_absolute():
        path = path.resolve().relative_to(ROOT)
    name = path.with_suffix("").as_posix() if path.suffix == ".md" else path.as_posix()
    if name not in toc_pages():
        raise SystemExit(f"error: {argument} is not a page of _toc.yml (pages: {', '.join(toc_pages())})")
    return name


def catalogue_path(language: str, page: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{page}.po"


@contextlib.contextmanager
def locked(name: str):
    """Serialise builds that share a folder of _build (several test sessions may run at once)."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sphinx(builder: str, outdir: Path, doctreedir: Path, overrides: dict, force_all: bool = False,
           warnings_are_errors: bool = True, quiet: bool = False) -> int:
    """Run Sphinx on the book exactly as ``jupyter-book build`` does, plus ``overrides`` (``-D``).

    Runs in a child process: docutils and Sphinx keep global state per process."""
    code = (
        "import sys, json; from jupyter_book.sphinx import build_sphinx; a = json.loads(sys.argv[1]);"
        "r = build_sphinx(a['src'], a['out'], noconfig=True, path_config=a['config'], confoverrides=a['over'],"
        " doctreedir=a['doctrees'], builder=a['builder'], warningiserror=a['W'], keep_going=a['W'],"
        " force_all=a['all'], quiet=a['quiet']);"
        "sys.exit(r if isinstance(r, int) else 1)"
    )
    import json

    arguments = {
        "src": str(ROOT), "out": str(outdir), "config": str(ROOT / "_config.yml"), "doctrees": str(doctreedir),
        "builder": builder, "W": warnings_are_errors, "all": force_all, "quiet": quiet,
        "over": {"external_toc_path": str(ROOT / "_toc.yml"), "nitpicky": True, "latex_individualpages": False,
                 **overrides},
    }
    return subprocess.run([sys.executable, "-c", code, json.dumps(arguments)], cwd=ROOT).returncode


# --------------------------------------------------------------------------- catalogues

def extract_messages(quiet: bool = True) -> Path:
    """Write the English messages of every page into ``_build/gettext/<page>.pot``.

    Messages include the Markdown that code cells print (tables), so the chapters are read
    with their outputs, from the execution cache; chapters missing from it are executed
    first, in parallel, as ``tools/build_book.py`` does. Warnings do not stop the extraction
    (the English build is the one that treats them as errors), and neither does a chapter
    that fails to execute (the English build fails on it)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import build_book

    with locked("gettext"):
        timeout = int(book_config()["execute"]["timeout"])
        if not build_book.execute_in_parallel(build_book.chapter_notebooks(), timeout):
            print("warning: a chapter failed to execute (traceback above); its messages are extracted "
                  "without the outputs that failed", file=sys.stderr)
        status = sphinx("gettext", POT_DIR, POT_DIR / ".doctrees",
                        {"language": "en", "nb_execution_raise_on_error": False}, quiet=quiet,
                        warnings_are_errors=False)
    if status != 0:
        raise SystemExit("error: extracting the messages (sphinx-build -b gettext) failed; see above")
    return POT_DIR


def update(pages: list[str], languages: list[str]) -> list[Path]:
    """Merge the current English messages of ``pages`` into each language's catalogues."""
    pot_dir = extract_messages()
    with tempfile.TemporaryDirectory() as selected:
        for page in pages:
            pot = pot_dir / f"{page}.pot"
            if not pot.exists():
                raise SystemExit(f"error: {page} has no messages ({pot.relative_to(ROOT)} was not written)")
            (Path(selected) / pot.relative_to(pot_dir)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(pot, Path(selected) / pot.relative_to(pot_dir))
        command = [str(Path(sys.executable).parent / "sphinx-intl"), "update", "-p", selected, "-d", str(LOCALES),
                   "-w", "0", "-j", "1"]
        for language in languages:
            command += ["-l", language]
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    catalogues = [catalogue_path(language, page) for language in languages for page in pages]
    for po in catalogues:
        leave_numbers_untranslated(po)
    return catalogues


def leave_numbers_untranslated(po: Path) -> bool:
    """Drop the fuzzy flag, and a msgstr that differs from the msgid, of every message of numbers only.

    When a timing or a printed table changes, msgmerge's fuzzy matching offers the old number's
    translation for the new one (``0.27`` -> ``1.276``); such a message needs no translation, and
    Sphinx shows it as it is (a msgstr equal to the msgid stays). Returns whether the catalogue
    ``po`` changed (written as ``sphinx-intl update -w 0`` writes it)."""
    from sphinx_intl.catalog import dump_po, load_po

    catalogue = load_po(str(po))
    changed = False
    for message in catalogue:
        if message.id and language_neutral(message.id) and (message.fuzzy or message.string not in ("", message.id)):
            message.string = message.string if message.string == message.id else ""
            message.flags.discard("fuzzy")
            changed = True
    if changed:
        dump_po(str(po), catalogue, width=0)
    return changed


# Spans a translation must keep character for character: display and inline math, inline code,
# and the target of every cross-reference. (The text of a reference, e.g. the title in
# {doc}`the title <api>` or [the title](api.md), is translated.)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)\$")
ROLE = re.compile(r"\{([A-Za-z][\w:+-]*)\}(`+)(.+?)\2", re.DOTALL)
CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
FOOTNOTE = re.compile(r"\[\^([^\]]+)\]")
SUBSTITUTION = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
# Roles whose content is a reference, possibly "text <target>": only the target must be kept.
REFERENCE_ROLES = {"ref", "doc", "numref", "eq", "term", "download", "any", "prf:ref", "cite", "cite:p", "cite:t",
                   "py:func", "py:class", "py:mod", "py:meth", "py:attr", "py:obj", "py:data", "py:exc", "func",
                   "class", "mod", "meth", "attr", "obj", "data", "exc"}
EXPLICIT_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.DOTALL)


def invariants(text: str) -> Counter:
    """The spans of a message that every translation must reproduce exactly, as a multiset."""
    spans: Counter = Counter()

    def role(match: re.Match) -> str:
        name, content = match.group(1), match.group(3)
        if name in REFERENCE_ROLES:
            explicit = EXPLICIT_TARGET.match(content)
            spans[f"{{{name}}} target <{explicit.group(2) if explicit else content}>"] += 1
        else:  # {math}, {code}, {kbd}, ...: the content itself
            spans[f"{{{name}}}`{content}`"] += 1
        return " "

    def code(match: re.Match) -> str:
        spans[f"`{match.group(2)}`"] += 1
        return " "

    def math(prefix: str):
        def collect(match: re.Match) -> str:
            spans[f"{prefix}{match.group(1).strip()}{prefix}"] += 1
            return " "
        return collect

    def link(match: re.Match) -> str:
        spans[f"link target ({match.group(2)})"] += 1
        return f" {match.group(1)} "  # the link text may itself hold math or code

    rest = ROLE.sub(role, text)
    rest = CODE.sub(code, rest)
    rest = DISPLAY_MATH.sub(math("$$"), rest)
    rest = LINK.sub(link, rest)
    rest = INLINE_MATH.sub(math("$"), rest)
    for pattern, label in ((AUTOLINK, "link"), (FOOTNOTE, "footnote"), (SUBSTITUTION, "substitution")):
        for found in pattern.findall(rest):
            spans[f"{label} {found}"] += 1
    return spans


def differences(source: str, translation: str) -> list[str]:
    """What ``translation`` loses or adds of ``source``'s invariant spans (empty when they agree)."""
    expected, got = invariants(source), invariants(translation)
    problems = [f"missing {span!r}" + (f" (x{n})" if n > 1 else "") for span, n in (expected - got).items()]
    problems += [f"unexpected {span!r}" + (f" (x{n})" if n > 1 else "") for span, n in (got - expected).items()]
    return problems


@dataclass
class Report:
    catalogue: str
    messages: int
    problems: list[str]


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


_NUMBER = re.compile(r"[+\-−]?\d+(?:[.,]\d+)*(?:[eE][+\-−]?\d+)?")
_UNIT = re.compile(r"(?<![^\W\d_])(?:ns|µs|us|ms|s|x)(?![^\W\d_])")


def language_neutral(message_id: str) -> bool:
    """A message with nothing to translate: numbers (timings, table cells a code cell printed),
    with at most a unit. Sphinx shows it as it is; its value may change from one execution of the
    chapter to the next (a timing), so it is never required in a catalogue."""
    rest = _UNIT.sub("", _NUMBER.sub("", message_id))
    return not re.search(r"[^\W\d_]", rest)


def check_catalogue(po_path: Path, pot_path: Path | None) -> Report:
    """Everything wrong with one catalogue, compared with the current English messages (``pot_path``)."""
    from babel.messages.pofile import read_po

    name = str(po_path.relative_to(ROOT)) if po_path.is_relative_to(ROOT) else str(po_path)
    with open(po_path, "rb") as handle:
        catalogue = read_po(handle)
    problems = []
    current = None
    if pot_path is not None:
        with open(pot_path, "rb") as handle:
            current = {message.id for message in read_po(handle)
                       if message.id and not language_neutral(message.id)}
    ids = set()
    for message in catalogue:
        if not message.id:
            continue
        if language_neutral(message.id):
            # Shown as it is; a translation could only change a number (msgmerge's fuzzy matching
            # once offered "1.276" for "0.27"), so any is a problem.
            if message.string and message.string != message.id:
                problems.append(f"msgid {_short(message.id)!r}: a message of numbers only is translated as "
                                f"{_short(message.string)!r}; it must read as in English (empty its msgstr: "
                                f"tools/i18n.py update does)")
            continue
        ids.add(message.id)
        where = f"msgid {_short(message.id)!r}"
        if current is not None and message.id not in current:
            problems.append(f"{where}: no longer in the English page (stale; run tools/i18n.py update)")
        if message.fuzzy:
            problems.append(f"{where}: fuzzy (the English changed; check the translation, then remove the "
                            f"'#, fuzzy' line)")
        if not message.string:
            problems.append(f"{where}: untranslated")
            continue
        for difference in differences(message.id, message.string):
            problems.append(f"{where}: the translation has {difference}")
    for message in catalogue.obsolete.values():
        if not language_neutral(message.id):  # a timing that changed leaves its old value behind
            problems.append(f"obsolete message (#~) {_short(message.id)!r}: delete it")
    if current is not None:
        for missing in sorted(current - ids):
            problems.append(f"msgid {_short(missing)!r}: new in the English page, not in the catalogue "
                            f"(run tools/i18n.py update)")
    return Report(name, len(ids), problems)


def check(pages: list[str], languages: list[str], pot_dir: Path) -> list[Report]:
    """Reports for every catalogue of ``pages`` (a missing catalogue is a problem) and every stray one."""
    reports = []
    for language in languages:
        for page in pages:
            po = catalogue_path(language, page)
            pot = pot_dir / f"{page}.pot"
            if not po.exists():
                reports.append(Report(str(po.relative_to(ROOT)), 0,
                                      [f"missing: {page} is not translated (run tools/i18n.py update {page})"]))
                continue
            reports.append(check_catalogue(po, pot if pot.exists() else None))
            if not pot.exists():
                reports[-1].problems.append(f"{page} has no English messages ({pot.relative_to(ROOT)} missing)")
        known = {catalogue_path(language, page) for page in catalogues()}
        for stray in sorted((LOCALES / language / "LC_MESSAGES").rglob("*.po")):
            if stray not in known:
                reports.append(Report(str(stray.relative_to(ROOT)), 0,
                                      ["belongs to no page of _toc.yml: delete it or add the page"]))
    return reports


# --------------------------------------------------------------------------- translated HTML

def search_dictionary() -> str:
    """Words for Chinese search (jieba): the glossary's Chinese terms and the pages' titles, so
    that e.g. 梯度下降 or 反向传播 are indexed as words and not only as 梯度 + 下降."""
    words = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.search(r"[\u4e00-\u9fff]", cells[1]):
            for term in cells[1].replace("†", "").split("/"):
                term = term.strip()
                if re.search(r"[\u4e00-\u9fff]", term) and " " not in term:
                    words.append(term)
    return "".join(f"{word}\n" for word in dict.fromkeys(words))


def build_html(language: str) -> int:
    """Build the ``language`` edition into ``_build/html/<path>`` from the shared execution cache."""
    path = editions()[language]["path"].strip("/")
    work = BUILD / "editions" / language
    work.mkdir(parents=True, exist_ok=True)
    overrides: dict = {"language": language}
    force_all = False
    if language.startswith("zh"):
        dictionary = work / "search-words.txt"
        words = search_dictionary()
        if not dictionary.exists() or dictionary.read_text(encoding="utf-8") != words:
            dictionary.write_text(words, encoding="utf-8")
            force_all = True  # the search index of unchanged pages must be rebuilt with the new words
        overrides["html_search_options"] = {"dict": str(dictionary)}
    status = sphinx("html", work / "html", work / ".doctrees", overrides, force_all=force_all)
    if status != 0:
        return status
    target = BUILD / "html" / path
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(work / "html", target)
    root = toc_pages()[0]
    (target / "index.html").write_text(REDIRECT.format(first_page=f"{root}.html"), encoding="utf-8")
    return 0


def preview(page: str, language: str) -> int:
    """Build one page of the ``language`` edition alone (other pages excluded, so links to them warn)."""
    work = BUILD / "i18n-preview" / language / page.replace("/", "-")
    others = [f"{other}.md" for other in toc_pages() if other != page]
    config = book_config()
    excluded = list(config.get("exclude_patterns", [])) + others
    # No book_editions: the preview has no other edition to switch to and keeps its own assets.
    overrides = {"language": language, "root_doc": page, "master_doc": page, "exclude_patterns": excluded,
                 "book_editions": {}}
    status = sphinx_page(page, work, overrides)
    if status == 0:
        print(f"Preview: file://{work / 'html' / (page + '.html')}")
    return status


def sphinx_page(page: str, work: Path, overrides: dict) -> int:
    code = (
        "import sys, json; from jupyter_book.sphinx import build_sphinx; a = json.loads(sys.argv[1]);"
        "r = build_sphinx(a['src'], a['out'], use_external_toc=False, noconfig=True, path_config=a['config'],"
        " confoverrides=a['over'], doctreedir=a['doctrees'], builder='html');"
        "sys.exit(r if isinstance(r, int) else 1)"
    )
    import json

    arguments = {"src": str(ROOT), "out": str(work / "html"), "config": str(ROOT / "_config.yml"),
                 "doctrees": str(work / ".doctrees"),
                 "over": {"latex_individualpages": False, **overrides}}
    return subprocess.run([sys.executable, "-c", code, json.dumps(arguments)], cwd=ROOT).returncode


# --------------------------------------------------------------------------- command line

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("update", "merge the current English messages into the catalogues"),
                       ("check", "check the catalogues: complete, current, and formulas, code and references kept")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("pages", nargs="*", help="pages such as book/01-limits (default: every page)")
        sub.add_argument("--language", action="append", help="default: every translated edition")
    commands.add_parser("extract", help="extract the English messages of every page into _build/gettext")
    sub = commands.add_parser("html", help="build the translated editions into _build/html/<path>")
    sub.add_argument("--language", action="append")
    sub = commands.add_parser("preview", help="build one page of a translated edition alone")
    sub.add_argument("page")
    sub.add_argument("--language")
    arguments = parser.parse_args()

    if arguments.command == "html":
        for language in arguments.language or translated_languages():
            start = time.perf_counter()
            status = build_html(language)
            if status != 0:
                print(f"error: building the {language} edition failed or warned (see above).", file=sys.stderr)
                return status
            print(f"Built the {language} edition in {time.perf_counter() - start:.1f} s: "
                  f"file://{BUILD / 'html' / editions()[language]['path'] / 'index.html'}")
        return 0
    if arguments.command == "extract":
        start = time.perf_counter()
        pot_dir = extract_messages()
        print(f"Extracted the English messages in {time.perf_counter() - start:.1f} s: "
              f"{pot_dir.relative_to(ROOT)}")
        return 0
    if arguments.command == "preview":
        return preview(page_name(arguments.page), arguments.language or translated_languages()[0])

    languages = arguments.language or translated_languages()
    pages = [page_name(page) for page in arguments.pages] or catalogues()
    if arguments.command == "update":
        for path in update(pages, languages):
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    reports = check(pages, languages, extract_messages())
    failed = False
    for report in reports:
        state = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
        print(f"{report.catalogue}: {report.messages} messages, {state}")
        for problem in report.problems:
            print(f"  {problem}")
        failed = failed or bool(report.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
