"""Domain errors that every view and API endpoint turns into a clear message in the user's language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class QorgauError(Exception):
    status = 400
    code = "error"
    default_message: Promise | str = _("The request could not be completed.")

    def __init__(self, message: Promise | str | None = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        super().__init__(str(self.code))


class NotFound(QorgauError):
    """Raised the same way for a record that does not exist and one the user may not see."""

    status = 404
    code = "not_found"
    default_message = _("Not found, or you have no access to it.")


class Forbidden(QorgauError):
    status = 403
    code = "forbidden"
    default_message = _("Your role does not allow this.")


class Conflict(QorgauError):
    status = 409
    code = "conflict"
    default_message = _("Someone else changed this record after you opened it. Reload it and apply your change again.")


class Invalid(QorgauError):
    status = 422
    code = "invalid"
    default_message = _("Some fields need correcting.")

    @classmethod
    def field(cls, name: str, message: object) -> Invalid:
        """One field refused with one message (the shape every service's refusals take)."""
        return cls(fields={name: [str(message)]})
