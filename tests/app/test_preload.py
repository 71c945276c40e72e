"""``python app.py`` imports torch, OpenCV and the library in a background thread while its main thread imports
Gradio (``app.PRELOAD``): every name there is a module that imports, the thread is the one that imported
torch, and the page's modules then import without waiting on anything it holds."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import builtins, sys, threading
first = {}
real = builtins.__import__

def spy(name, *a, **kw):
    if name.split(".")[0] == "torch" and "torch" not in first:
        first["torch"] = threading.current_thread().name
    return real(name, *a, **kw)

builtins.__import__ = spy
import app  # the entry point's imports (its __main__ block does not run)
for t in threading.enumerate():
    if t.name == "sppviz-preload":
        t.join(120)
missing = [m for m in app.PRELOAD if m not in sys.modules]
print("torch by", first.get("torch"), "| missing", missing, "| gradio", "gradio" in sys.modules)
"""


def test_app_py_preloads_the_library_in_a_thread_of_its_own():
    r = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "torch by sppviz-preload | missing [] | gradio True" in r.stdout, (r.stdout, r.stderr[-2000:])
