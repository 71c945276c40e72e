"""The Gradio app: a thin layer that arranges calls to the library and shows their pictures.

Layout (``layout``): a header with the language switch, the input panel (``tabs.inputs``), one tab per
group of steps of the method (``sppviz.steps``: image pyramid → feature maps → window → spatial pyramid
pooling → detections → why SPP → SPP vs RoIPool vs RoIAlign → combining scales → lesson mode), the exports.

State and speed. A session's analysis lives server-side (``session``): a small record per session id, the
heavy parts (conv5, windows, scores) shared by the sessions that analysed the same image with the same
settings and rebuilt from the record when memory pressure dropped them; each handler gets a
:class:`~sppviz.analysis.workspace.Workspace` of its session. ``gr.State`` only holds a small dict (session
id, selected window, drawn boxes, selected bin). After the first analysis no handler recomputes conv5: window / level /
channel / rule / threshold changes only call ``window_detail`` (cached), ``Analysis.detections`` (cached
scores) and the figure functions.

Handlers (``tabs.*``) are plain functions of a typed :class:`~sppviz.app.settings.Settings`, declared with
``@handler(reads=…, outputs=…)``; tests call them without a browser. No handler computes a domain result:
they call ``sppviz.analysis`` and ``sppviz.steps``.
"""

from sppviz.app.layout import build_app, launch_kwargs

__all__ = ["build_app", "launch_kwargs"]
