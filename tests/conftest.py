import atexit
import os
import shutil
import tempfile

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


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny SPP-net trained end-to-end by the real training code (seconds, not minutes)."""
    from sppviz.model import train

    out = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    cfg = train.TrainConfig(out=str(out), width=0.125, hidden=32, pre_scenes=6, pre_epochs=2, pre_batch=16,
                            ft_scenes=2, ft_windows_per_scene=32, ft_epochs=2, ft_scales=(480, 688))
    train.train(cfg)
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
