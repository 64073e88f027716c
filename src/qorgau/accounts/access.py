"""The access machinery every route uses: capability checks and the access-gate pattern.

An access gate (``<aggregate>_get_for(actor, id)``) is the only way to read one record of an
aggregate; it raises ``NotFound`` alike for a record that is missing and one the actor may not see,
so that probing ids reveals nothing (DESIGN §3).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import Notification, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.core.errors import Forbidden, NotFound

V = TypeVar("V", bound=Callable[..., HttpResponse])


def require(actor: User, capability: Capability) -> None:
    if not actor.can(capability):
        raise Forbidden()


def capability_required(capability: Capability) -> Callable[[V], V]:
    """A view decorator: the signed-in user must hold the capability (403 page otherwise)."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request.user, capability)  # type: ignore[arg-type]
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def viewer_for(actor: User, **kwargs: Any) -> Viewer:
    role = Role(actor.role)
    return Viewer(role=role, capabilities=ROLE_CAPABILITIES[role], **kwargs)


def notification_get_for(actor: User, notification_id: int) -> Notification:
    try:
        return Notification.objects.get(pk=notification_id, recipient=actor)
    except Notification.DoesNotExist:
        raise NotFound() from None
