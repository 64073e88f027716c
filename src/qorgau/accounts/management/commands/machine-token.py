from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qorgau.accounts.models import MachineToken, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.accounts.tokens import machine_token_issue
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import QorgauError
from qorgau.core.models import AuditAction


class Command(BaseCommand):
    help = "Issue, list or revoke machine tokens (device gateways, imports). The token is printed once."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue")
        issue.add_argument("name")
        issue.add_argument("--unit", type=int, required=True, help="id of the unit that runs the client")
        issue.add_argument("--purpose", choices=[p.value for p in MachineToken.Purpose], required=True)
        issue.add_argument("--by", required=True, help="user name of the administrator issuing it")
        issue.add_argument("--acts-for", default=None, help="import clients: the service account (a user of the unit)")
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("name")
        revoke.add_argument("--by", required=True)

    def _admin(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        if not user.can(Capability.MANAGE_USERS):
            raise CommandError(f"{username!r} may not manage machine tokens")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for t in MachineToken.objects.select_related("unit").order_by("name"):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.name:<30} {t.purpose:<16} unit {t.unit_id:<6} {t.prefix} {state}")
            return
        actor = self._admin(options["by"])
        if action == "issue":
            unit = Unit.objects.filter(pk=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit {options['unit']}")
            try:
                acts_for = User.objects.filter(username=options["acts_for"]).first() if options["acts_for"] else None
                if options["acts_for"] and acts_for is None:
                    raise CommandError(f"no user {options['acts_for']!r}")
                issued = machine_token_issue(
                    actor=actor, name=options["name"], purpose=options["purpose"], unit=unit, acts_for=acts_for
                )
            except QorgauError as exc:
                fields = "; ".join(m for msgs in exc.fields.values() for m in msgs)
                raise CommandError(fields or str(exc.message)) from exc
            self.stdout.write(issued.token)
            return
        with transaction.atomic():
            updated = MachineToken.objects.filter(name=options["name"], revoked_at__isnull=True).update(
                revoked_at=clock.now()
            )
            if not updated:
                raise CommandError(f"no active machine token {options['name']!r}")
            audit_record(actor=actor, action=AuditAction.TOKEN_REVOKED, target_type="machine_token", term=options["name"])
        self.stdout.write("revoked")
