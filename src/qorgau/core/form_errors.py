"""Putting a service's refusal (``Invalid``) onto the page's form, so the reader sees each message
beside its field (or above the form when the field is not on it)."""

from __future__ import annotations

from typing import Any

from qorgau.core.errors import Invalid


def invalid_onto_form(form: Any, exc: Invalid) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for name, errors in exc.fields.items():
        for e in errors:
            form.add_error(name if name in form.fields else None, e)
