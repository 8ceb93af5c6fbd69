"""The packages form layers: each imports only the layers below it, and the hourly run imports no
evaluation, simulation or offline-builder code."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Lowest first; a package may import its own modules and any package of an earlier layer.
LAYERS = [("keywords",), ("issues",), ("titling", "dictionaries"), ("clustering",), ("crawler", "recommender"),
          ("jobs",)]
LAYER_OF = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
    return names & set(LAYER_OF)


@pytest.mark.parametrize("package", sorted(LAYER_OF))
def test_a_package_imports_only_the_layers_below_it(package):
    wrong = []
    for path in sorted((REPO / package).rglob("*.py")):
        for other in imported_packages(path) - {package}:
            if LAYER_OF[other] >= LAYER_OF[package]:
                wrong.append(f"{path.relative_to(REPO)} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_the_hourly_run_imports_no_evaluation_or_offline_code():
    code = ("import sys, jobs.cli.main, jobs.runner.hour, jobs.runner.scheduler; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('benchmarks', 'tests') or m.startswith('jobs.demo'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
