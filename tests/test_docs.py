"""The docs stay true: generated pages match the code, every relative link and anchor resolves, the
README stays short, and the commands and examples the docs show are the ones that run."""
from __future__ import annotations

import doctest
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = sorted([REPO / "README.md", REPO / "CHANGELOG.md", REPO / "dictionaries" / "README.md",
                REPO / "recommender" / "README.md", *DOCS.glob("*.md")])
FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            out.append(line)
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: links and tags reduced to their text, lower case,
    punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found, seen = set(), {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            base = slug(heading[1])
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        found |= set(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return found


def links(path: Path) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(prose_lines(path.read_text(encoding="utf-8")), 1):
        for _, target in LINK.findall(re.sub(r"`[^`]*`", "``", line)):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):       # http:, https:, mailto: ...
                out.append((number, target))
    return out


def test_the_generated_pages_are_current():
    result = subprocess.run([sys.executable, str(DOCS / "generate.py"), "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\n(run `python docs/generate.py` and commit the pages)"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for number, target in links(page):
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with anchor #{anchor} in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}:\n" + "\n".join(broken)


def test_the_readme_is_short():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 160, f"README.md has {len(lines)} lines: move the reference to docs/"


def test_the_readme_setup_commands_are_the_ones_that_run():
    blocks = re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks[0] == "pip install torch==2.13.0 && pip install -e . && issuewire demo"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert blocks[1] == ci                                      # .ci/run runs the README's test command


def test_the_crawling_example_is_the_one_the_test_crawls():
    from tests.crawler.test_readme_example import README_SOURCES

    page = (DOCS / "crawling.md").read_text(encoding="utf-8")
    shown = re.search(r"```toml\n(.*?)```", page, re.S)[1]
    without_comments = "\n".join(re.sub(r"\s+#.*$", "", line) for line in shown.splitlines()) + "\n"
    assert without_comments == README_SOURCES.format(port=8080)


def test_the_generators_examples_run():
    sys.path[:0] = [str(DOCS)]
    try:
        for name in ("reference_markdown", "reference_settings", "reference_code", "reference_cli"):
            spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            failed, _ = doctest.testmod(module)
            assert failed == 0, name
    finally:
        sys.path.remove(str(DOCS))
