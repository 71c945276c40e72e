"""The figures package: its public names, and that its modules use only each other's public names."""

import ast
import importlib
import re
from pathlib import Path

from sppviz import figures as F

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "sppviz" / "figures"
MODULES = sorted(p for p in PKG.glob("*.py") if p.name != "__init__.py")


def test_all_names_exist_and_come_from_the_submodules():
    assert len(F.__all__) == len(set(F.__all__))
    for name in F.__all__:
        obj = getattr(F, name)
        homes = [m.stem for m in MODULES if getattr(importlib.import_module(f"sppviz.figures.{m.stem}"), name, None)
                 is obj]
        assert homes, f"figures.{name} is not defined in any figures module"


def test_every_name_callers_use_is_exported():
    used = set()
    for path in [*(ROOT / "sppviz").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        if PKG in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bfigures\.([A-Za-z_]\w*)", text))
        if re.search(r"from sppviz import figures as F\b", text):
            used |= set(re.findall(r"\bF\.([A-Za-z_]\w*)", text))
    used -= {m.stem for m in MODULES} | {"__all__"}  # figures.palette etc. are modules, not names
    assert {"heatmap", "Layout", "windows_on_image", "RULE_COLORS"} <= used  # the scan finds the callers
    assert not {n for n in used if n.startswith("_")}, "callers must not use private names"
    assert used <= set(F.__all__), f"used but not in figures.__all__: {sorted(used - set(F.__all__))}"


def test_no_module_uses_another_modules_private_names():
    stems = {m.stem for m in MODULES}
    for m in [*MODULES, PKG / "__init__.py"]:
        for node in ast.walk(ast.parse(m.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                bad = [a.name for a in node.names if a.name.startswith("_")]
                assert not bad, f"{m.name} imports private {bad} from {node.module}"
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                assert not (isinstance(node.value, ast.Name) and node.value.id in stems), \
                    f"{m.name} uses {node.value.id}.{node.attr}"


def test_module_sizes():
    for m in [*MODULES, PKG / "__init__.py"]:
        n = len(m.read_text(encoding="utf-8").splitlines())
        assert n <= 600, f"{m.name} has {n} lines (at most 600)"
