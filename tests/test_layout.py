"""The repository's shape: files a reader can hold in their head, modules that use only each other's public
names, an app layer that arranges calls instead of computing results, and a repo that stands alone."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "sppviz").rglob("*.py"), *(ROOT / "tests").rglob("*.py"), ROOT / "app.py"])
PACKAGE = [p for p in SOURCES if "sppviz" in p.relative_to(ROOT).parts[:1]]
MAX_LINES = 600


def tracked_text_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md", ".txt", ".toml", ".json", ".css", ".js", ".html"))
            or f in ("Makefile", ".ci/run")]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_file_is_over_600_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines"


def _module_names(tree: ast.Module) -> set[str]:
    """Local names bound to sppviz modules by the imports of a file."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sppviz"):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("sppviz")}
    return names


@pytest.mark.parametrize("path", PACKAGE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods = _module_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and ((node.module or "").startswith("sppviz") or node.level):
            bad = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            assert not bad, f"imports private {bad} from {node.module}"
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            assert not (isinstance(node.value, ast.Name) and node.value.id in mods), \
                f"uses {node.value.id}.{node.attr} (line {node.lineno})"


# app modules that may import torch: the start-up warmer only loads it (in the background), computing nothing
LOADS_TORCH = {"startup.py"}


def test_the_app_arranges_calls_and_computes_no_domain_result():
    """sppviz/app builds components, parses settings and calls sppviz.analysis / sppviz.steps: no tensor code."""
    for path in (ROOT / "sppviz" / "app").rglob("*.py"):
        if path.name in LOADS_TORCH:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [m for m in mods if m.split(".")[0] in ("torch", "torchvision")], path.name


def test_the_repo_cites_only_documents_it_holds():
    """Every Markdown document a text names (``rules.md``, ``MODEL_CARD.md`` …) is a file of the repo, and the
    docs never point outside the checkout: what the code relies on is written down here."""
    held = {p.name for p in tracked_text_files() if p.suffix == ".md"}
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in set(re.findall(r"\b[A-Za-z][\w-]*\.md\b", text)):
            assert name in held, f"{path.relative_to(ROOT)} cites {name}, which the repo does not hold"
        if path.suffix == ".md":
            assert "../" not in text, f"{path.relative_to(ROOT)} points outside the checkout"
    for doc in ("docs/conventions.md", "docs/rules.md", "docs/design.md"):
        assert (ROOT / doc).is_file(), doc
    for path in tracked_text_files():  # every docs/ file and test file a text points at exists
        text = path.read_text(encoding="utf-8", errors="replace")
        for ref in set(re.findall(r"\b(?:docs/[a-z_]+\.md|tests/[a-z_/]+\.py)\b", text)):
            assert (ROOT / ref).is_file(), f"{path.relative_to(ROOT)} cites {ref}, which does not exist"
