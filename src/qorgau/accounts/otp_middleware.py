"""django-otp's middleware, taking the session's device from the shared cache when there is one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from qorgau.accounts import shared_cache


class SharedOTPMiddleware(OTPMiddleware):
    """As django-otp's: ``request.user.otp_device`` is the device that verified this session, or None.

    With a shared cache (``QORGAU_CACHE_URL``) a device among the user's confirmed devices as cached
    with the user (``accounts.shared_cache``) needs no statement; any other device id is read from the
    database and checked by django-otp exactly as without the cache.
    """

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        if not shared_cache.enabled():
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = None
            if persistent_id:
                persistent_id = self._normalize_persistent_id(persistent_id)
                device = shared_cache.confirmed_device(user, persistent_id) or self._device_from_persistent_id(persistent_id)
            user.otp_device = self._finalize_device(request, user, device)
        return user
