import atexit
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

# A Gradio file cache of this test run's own (set before gradio is imported). The default,
# /tmp/gradio, is shared with earlier runs: a panel whose content matches a file cached over an hour
# ago reuses that file, which the app's delete_cache sweep may remove while the browser fetches it.
os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="sppviz-test-gradio-")
atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)

import pytest  # noqa: E402
import torch  # noqa: E402

# Two cores on the target machine; tests must not download anything.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
os.environ.pop("SPPVIZ_ALLOW_DOWNLOAD", None)
os.environ.pop("SPACE_ID", None)  # a Space allows downloads by default (backbones.downloads_allowed)


ROOT = Path(__file__).resolve().parents[1]
#: Where the tiny model is kept between runs: the user's cache folder (outside the checkout, so a fresh
#: clone of the same code reuses it; the key covers the code); SPPVIZ_TEST_MODEL_CACHE overrides it,
#: and SPPVIZ_TEST_MODEL_CACHE=off trains afresh every run.
MODEL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sppviz-test-model"
KEEP_MODELS = 4


def tiny_config(out: str):
    """The tiny model's training configuration (a few seconds of the real training code)."""
    from sppviz.model import train

    return train.TrainConfig(out=out, width=0.125, hidden=32, pre_scenes=6, pre_epochs=2, pre_batch=16,
                             ft_scenes=2, ft_windows_per_scene=32, ft_epochs=2, ft_scales=(480, 688))


def tiny_model_key() -> str:
    """sha256 of everything the tiny model depends on: every source of sppviz/method and sppviz/model
    (the training code and all it imports), the configuration, the thread count and the versions of
    Python, torch, numpy and OpenCV. Any change retrains; an unchanged key reuses the cached file."""
    import cv2
    import numpy as np

    h = hashlib.sha256()
    for sub in ("method", "model"):
        for f in sorted((ROOT / "sppviz" / sub).glob("*.py")):
            h.update(f"{sub}/{f.name}\n".encode())
            h.update(f.read_bytes())
    h.update(repr(tiny_config("")).encode())
    h.update(f"{sys.version} torch {torch.__version__} numpy {np.__version__} cv2 {cv2.__version__}".encode())
    h.update(f"threads {torch.get_num_threads()}".encode())
    return h.hexdigest()[:32]


def _train_tiny(out: Path) -> None:
    from sppviz.model import train

    train.train(tiny_config(str(out)))


def cached_tiny_model(cache: Path) -> Path:
    """The cached tiny model for the current key, trained first when missing. Safe under concurrent
    runs: one trains while the others wait on a lock, and the file appears atomically (os.replace)."""
    import fcntl

    path = cache / f"tiny-{tiny_model_key()}.safetensors"
    if path.is_file():
        os.utime(path)  # most recently used: kept by the pruning below
        return path
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():  # another run may have written it while this one waited
            fd, tmp = tempfile.mkstemp(dir=cache, prefix=".tiny-", suffix=".safetensors")
            os.close(fd)
            try:
                _train_tiny(Path(tmp))
                os.chmod(tmp, 0o644)  # mkstemp made it 0600
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            # keep the KEEP_MODELS most recently used (several checkouts or branches may share the cache)
            models = sorted(cache.glob("tiny-*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in models[KEEP_MODELS:]:
                old.unlink(missing_ok=True)
    return path


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny SPP-net trained end-to-end by the real training code (seconds, not minutes), trained
    once per state of the code and cached on disk (:func:`cached_tiny_model`); each session uses its
    own copy."""
    out = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    setting = os.environ.get("SPPVIZ_TEST_MODEL_CACHE", "")
    if setting.lower() in ("0", "off", "no", "false"):
        _train_tiny(out)
    else:
        cache = Path(setting) if setting else MODEL_CACHE
        try:
            shutil.copyfile(cached_tiny_model(cache), out)
        except FileNotFoundError:  # pruned by a concurrent run between the check and the copy
            shutil.copyfile(cached_tiny_model(cache), out)
    return str(out)


@pytest.fixture(scope="module")
def model(tiny_model_path):
    """The app loads the bundled model by default; tests point SPPVIZ_MODEL at the tiny trained one."""
    from sppviz.model.weights import load_default_detector

    mp = pytest.MonkeyPatch()
    mp.setenv("SPPVIZ_MODEL", tiny_model_path)
    load_default_detector.cache_clear()
    yield load_default_detector()
    mp.undo()
    load_default_detector.cache_clear()


@pytest.fixture(scope="module")
def app_url(model):
    """The whole app served in-process on a free port of 127.0.0.1, with the tiny model."""
    import socket

    from sppviz import app as ui

    demo = ui.build_app()
    demo.queue(default_concurrency_limit=2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(**ui.launch_kwargs(server_port=port, prevent_thread_lock=True, quiet=True))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
