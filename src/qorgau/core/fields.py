"""Model fields for personal data: encrypted at rest (DESIGN §5)."""

from __future__ import annotations

from typing import Any

from django.db import models

from qorgau.core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with AES-GCM; the column's ``app_label.model.field`` is the associated data.

    Only exact presence checks make sense in queries (``isnull``); search goes through blind indexes.
    """

    description = "Text encrypted at rest"

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value), context=self.crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"encrypted field {self.name!r} cannot be searched with {lookup_name!r}")
        return super().get_lookup(lookup_name)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found
