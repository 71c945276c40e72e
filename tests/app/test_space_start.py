"""The app starts the way a Hugging Face Space starts it: `python app.py` with the Space's variables."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_python_app_py_serves_with_the_space_environment():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_NAME="0.0.0.0", GRADIO_SERVER_PORT=str(port), SYSTEM="spaces",
               SPACE_ID="someone/sppviz", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, body = time.time() + 90, ""
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, proc.stdout.read()
        assert "gradio" in body.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as r:
            config = r.read().decode()
        assert "sppviz" in config and '"analytics_enabled":false' in config.replace(" ", "")
    finally:
        proc.terminate()
        proc.wait(20)
