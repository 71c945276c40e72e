"""Packages whose names are imported on first use (sppviz.lazy): every public name resolves to the object its
module defines, an unknown one raises AttributeError, and the checkpoint finder's hub folder is torch's own
before torch is loaded."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sppviz import analysis, lesson, method, model

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", [analysis, lesson], ids=lambda p: p.__name__)
def test_every_public_name_is_the_object_its_module_defines(package):
    for name in package.__all__:
        module = importlib.import_module(f"{package.__name__}.{package._DEFINED_IN[name]}")
        assert getattr(package, name) is getattr(module, name), name
    assert set(package._DEFINED_IN) == set(package.__all__)


def test_modules_are_attributes_and_unknown_names_raise():
    assert method.pooling is importlib.import_module("sppviz.method.pooling")
    assert model.detector is importlib.import_module("sppviz.model.detector")
    assert analysis.compare is importlib.import_module("sppviz.analysis.compare")
    for package in (analysis, lesson, method, model):
        with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
            package.no_such_name  # noqa: B018
    from sppviz.analysis import Workspace, analyze

    assert analyze is analysis.pipeline.analyze and Workspace is analysis.workspace.Workspace


HUB = r"""
import sys
from sppviz.model import checkpoints
before = checkpoints.hub_dir()
assert "torch" not in sys.modules
import torch.hub
print(before == checkpoints.hub_dir() == __import__("pathlib").Path(torch.hub.get_dir()))
"""


@pytest.mark.parametrize("env", [{}, {"XDG_CACHE_HOME": "/tmp/xdg"}, {"TORCH_HOME": "~/th", "XDG_CACHE_HOME": "/x"}],
                         ids=["default", "xdg", "torch-home"])
def test_the_hub_folder_before_torch_is_torch_s_own(env):
    clean = {k: v for k, v in os.environ.items() if k not in ("TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB")}
    out = subprocess.run([sys.executable, "-c", HUB], cwd=ROOT, env={**clean, **env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"


CONCURRENT = r"""
import threading
from sppviz import analysis, lesson, method, model
names = [(analysis, "pipeline"), (method, "pooling"), (model, "detector"), (lesson, "export"), (analysis, "compare"),
         (analysis, "report"), (method, "roipool"), (analysis, "Workspace")]
barrier, errors = threading.Barrier(len(names)), []
def touch(package, name):
    barrier.wait()
    try:
        getattr(package, name)
    except BaseException as e:
        errors.append(repr(e))
threads = [threading.Thread(target=touch, args=pn) for pn in names]
[t.start() for t in threads]
[t.join(120) for t in threads]
print("ERRORS", errors)
"""


def test_first_uses_from_several_threads_at_once_import_each_module_once():
    """The warm-up imports the library while the page's requests may reach it too: the lazily imported modules
    have no import cycle among them, so first uses from several threads at once neither fail nor deadlock."""
    out = subprocess.run([sys.executable, "-c", CONCURRENT], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ERRORS []"
