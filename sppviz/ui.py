"""Gradio UI (thin layer over the library). Placeholder page until the app issue lands."""

from __future__ import annotations

import os

import gradio as gr


def build_app() -> gr.Blocks:
    with gr.Blocks(title="sppviz — SPP-net step by step") as demo:
        gr.Markdown("# sppviz — SPP-net step by step\nThe library and CLI are ready; the walk-through "
                    "UI is being built. Try `python -m sppviz project IMAGE --box X0 Y0 X1 Y1`.")
    return demo


def launch_kwargs() -> dict:
    """Host and port from the environment (a Space sets GRADIO_SERVER_NAME / PORT)."""
    return {"server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
            "server_port": int(os.environ.get("GRADIO_SERVER_PORT", os.environ.get("PORT", "7860"))),
            "share": False}
