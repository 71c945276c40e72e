"""Entry point: builds the sppviz Gradio app and launches it (host/port from the environment)."""

import os

from sppviz.ui import build_app, launch_kwargs

if __name__ == "__main__":
    demo = build_app()
    demo.queue(default_concurrency_limit=int(os.environ.get("SPPVIZ_CONCURRENCY", "2")))
    demo.launch(**launch_kwargs())
