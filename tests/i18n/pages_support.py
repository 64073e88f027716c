"""Language-walker pages for victim socio-economic support (merged into ``test_languages.PAGES``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {}
