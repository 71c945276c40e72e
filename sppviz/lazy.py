"""Package attributes that are imported when first used (PEP 562), so that importing a package is cheap.

The app's page is built and served before torch is loaded (``python app.py``: about 3 s less before the
first page on a 2-core machine; README, Start-up). For that, ``sppviz.analysis``, ``sppviz.lesson``,
``sppviz.method`` and ``sppviz.model`` import nothing heavy themselves: a name of their public API
(``analysis.analyze``) or one of their modules (``analysis.pipeline``) is imported on first access, through
Python's import lock, hence once even when two threads ask at the same time.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any


def package_getattr(package: str, names: Mapping[str, str] | None = None) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps a public name to the submodule that defines
    it (``{"analyze": "pipeline"}``); any other name that is a submodule of the package is imported as such.
    Anything else raises AttributeError as usual."""
    names = dict(names or {})

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
