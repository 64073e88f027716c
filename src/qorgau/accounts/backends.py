"""The authentication backend: Django's model backend, with the user's unit read in the same statement.

Every signed-in request reads the user (``AuthenticationMiddleware``) and then the unit: its time zone
(``core.middleware.UserLocaleMiddleware``) and its name in the page header. Reading both at once saves
a statement on every request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from qorgau.accounts.models import User


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
