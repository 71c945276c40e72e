"""One module per tab of the app: each owns its components (``create_ui``), its handlers and its
wiring (``wire``). The tabs follow the step table (``sppviz.steps``)."""
