"""Permission-matrix rows of the public help page: open to everyone, signed in or not."""

from __future__ import annotations

from tests.permission_matrix import Check, everyone

ROWS: dict[str, list[Check]] = {
    "help/": [Check("GET", "/help/", everyone(302)), Check("POST", "/help/", everyone(405))],
    "help/<str:language>/": [
        Check("GET", "/help/kk/", everyone(200)),
        Check("GET", "/help/de/", everyone(404)),
        Check("POST", "/help/ru/", everyone(405)),
    ],
}
