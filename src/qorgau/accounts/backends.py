"""The authentication backend: Django's model backend, with fewer statements per signed-in request.

Every signed-in request reads the user (``AuthenticationMiddleware``) and then the unit: its time zone
(``core.middleware.UserLocaleMiddleware``) and its name in the page header. Reading both at once saves
a statement on every request.

With a shared cache (``QORGAU_CACHE_URL``) the user, the unit, the user's capabilities and confirmed
second-factor devices come from it instead (``accounts.shared_cache``), read in three statements on a miss.

A page that asks for a capability (``User.can``, ``perms`` in a template) reads the user's
permissions: Django's backend reads the user's own and their groups' in two statements; here they
are one (the role's group holds the capabilities, ``accounts.roles``). The result is cached on the
user object for the request, as Django's is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts import shared_cache
from qorgau.accounts.models import User


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        if shared_cache.enabled():
            user = shared_cache.signed_in_user(user_id, lambda: _user_and_devices(user_id))
        else:
            user = User._default_manager.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = perms.order_by().values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        perm_cache: set[str] = user_obj._perm_cache
        return perm_cache


def _user_and_devices(user_id: Any) -> tuple[User | None, list[TOTPDevice]]:
    """What the shared cache keeps of a user; the devices without their secret keys."""
    user = User._default_manager.select_related("unit").filter(pk=user_id).first()
    if user is None:
        return None, []
    devices = list(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).only("id", "user_id", "confirmed", "name"))
    # The capabilities too (kept on the user as ``_perm_cache``): a role's group changes only through
    # ``accounts.services.roles_sync``, which drops the cached users, and a user's group only with the user.
    StaffBackend().get_all_permissions(user)
    return user, devices
