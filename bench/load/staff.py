"""The simulated staff of a load run: who they are, what they may open, and their signed-in sessions.

Run inside the served installation's settings (``DATABASE_URL``, ``QORGAU_DEMO=1`` and the same
``QORGAU_VAR_DIR`` as the server), as a separate process from the load runner:

    python -m bench.load.staff mint --users 200 --out plan.json
    python -m bench.load.staff remove --plan plan.json

Sessions are minted server-side rather than by logging in through the pages: 200 logins would spend
the run's first seconds in argon2 (deliberately slow) and in the login throttle, and a TOTP code is
accepted once per device and time step, so several simulated users of one account could not all
sign in. Each minted session holds exactly what ``accounts.views._finish_login`` writes after a
password and a TOTP code (the auth keys, the verified OTP device, the session epoch and start), and
its login is audited as a real one. Every simulated user gets a session of its own, also when
several share one of the installation's staff accounts: no staff account is created, so the run
writes nothing into the database but sessions, their login audit rows and what the journeys do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

# The share of simulated users who are analysts (the dashboard journey); the rest work cases.
ANALYST_SHARE = 0.1
CASES_PER_USER = 40
SEARCHES_PER_USER = 8


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
    import django

    django.setup()


def _session_for(user: Any) -> str:
    """A signed-in, second-factor-verified session of ``user``, as after a real login."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qorgau.accounts.middleware import EPOCH_KEY, SEEN_KEY, STARTED_KEY
    from qorgau.core import clock
    from qorgau.core.audit import audit_record
    from qorgau.core.models import AuditAction

    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise SystemExit(f"{user.username} has no confirmed second factor")
    with transaction.atomic():
        session = engine.SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[EPOCH_KEY] = user.session_epoch
        session[SEEN_KEY] = session[STARTED_KEY] = clock.now().timestamp()
        session.create()
        audit_record(actor=user, action=AuditAction.LOGIN, target_type="user", target_id=user.pk)
    return str(session.session_key)


def _case_worker_pool(rng: random.Random) -> list[dict[str, Any]]:
    """Police inspectors with live grants, each with case ids and search terms from its own caseload."""
    from qorgau.accounts.models import User
    from qorgau.accounts.roles import Role
    from qorgau.cases.access import case_get_for, cases_visible_to
    from qorgau.core.models import District

    pool = []
    for user in User.objects.filter(role=Role.POLICE_INSPECTOR, is_active=True).select_related("unit").order_by("pk"):
        visible = cases_visible_to(user).filter(merged_into=None, restricted=False)
        ids = list(visible.order_by("-opened_at").values_list("pk", flat=True)[:500])
        if not ids:
            continue
        cases = rng.sample(ids, min(CASES_PER_USER, len(ids)))
        # What a worker types into the search: people of her own caseload (synthetic data), by name
        # with the birth date (a name alone is refused), by IIN, or a case number. Read through the
        # access gate, so each look is audited as the worker's own.
        probes = [case_get_for(user, case_id)[0] for case_id in cases[:SEARCHES_PER_USER]]
        people = [p for c in probes for p in (c.victim, c.offender)]
        names = [[p.full_name, p.birth_date.isoformat()] for p in people if p.full_name and p.birth_date]
        iins = [p.iin for p in people if p.iin]
        numbers = [c.number for c in probes]
        unit = user.unit
        district = unit.district_id or District.objects.filter(region_id=unit.region_id).values_list("kato", flat=True).order_by("kato").first() or ""
        pool.append(
            {
                "kind": "inspector",
                "username": user.username,
                "cases": cases,
                "names": names,
                "iins": iins,
                "numbers": numbers,
                "region": unit.region_id,
                "district": district,
            }
        )
    return pool


def plan_mint(*, users: int, seed: int = 2026) -> dict[str, Any]:
    """``users`` simulated staff (analysts and case workers), each with a session of its own."""
    from qorgau.accounts.models import User
    from qorgau.accounts.roles import Role

    rng = random.Random(seed)
    workers = _case_worker_pool(rng)
    analysts = list(User.objects.filter(role=Role.ANALYST, is_active=True).order_by("pk"))
    if not workers:
        raise SystemExit("no police inspector holds a case: load the demo data first (qorgau demo)")
    if not analysts:
        raise SystemExit("no analyst account: load the demo data first (qorgau demo)")
    by_name = {u.username: u for u in User.objects.filter(username__in=[w["username"] for w in workers])}
    n_analysts = max(1, round(users * ANALYST_SHARE))
    staff = []
    for i in range(users):
        if i % round(1 / ANALYST_SHARE) == 0 and n_analysts > 0:
            n_analysts -= 1
            analyst = analysts[i % len(analysts)]
            staff.append({"kind": "analyst", "username": analyst.username, "session": _session_for(analyst)})
        else:
            entry = dict(workers[i % len(workers)])
            entry["session"] = _session_for(by_name[entry["username"]])
            staff.append(entry)
    return {"staff": staff, "accounts": len({s["username"] for s in staff})}


def plan_remove(plan: dict[str, Any]) -> int:
    """End the minted sessions (as a logout would); returns how many were still there."""
    from django.conf import settings

    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    gone = 0
    for entry in plan["staff"]:
        store = engine.SessionStore(session_key=entry["session"])
        if store.exists(entry["session"]):
            store.delete(entry["session"])
            gone += 1
    return gone


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load.staff")
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="mint the sessions of USERS simulated staff into a plan file")
    mint.add_argument("--users", type=int, default=200)
    mint.add_argument("--out", type=Path, required=True)
    remove = sub.add_parser("remove", help="end the sessions of a plan file")
    remove.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    if settings.PRODUCTION:
        raise SystemExit("refused: the load bench runs against demo installations only (QORGAU_DEMO=1)")
    if args.command == "mint":
        plan = plan_mint(users=args.users)
        args.out.write_text(json.dumps(plan, ensure_ascii=False))
        print(f"minted {len(plan['staff'])} sessions of {plan['accounts']} staff accounts into {args.out}")
    else:
        gone = plan_remove(json.loads(args.plan.read_text()))
        print(f"ended {gone} sessions")


if __name__ == "__main__":
    main(sys.argv[1:])
