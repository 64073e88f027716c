"""The case page's card of her socio-economic support: what she was referred to, status and dates,
and the "Refer to support" button for a unit working on the case."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Scope, Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.support.selectors import case_referrals
from qorgau.support.services import may_refer


def support_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    can_refer = may_refer(user, viewer) and case.merged_into_id is None
    referrals = case_referrals(case, viewer, user)
    shown = can_refer or bool(referrals) or viewer.scope in (Scope.FULL, Scope.WORKER)
    return {"support_shown": shown, "support_referrals": referrals, "support_can_refer": can_refer}
