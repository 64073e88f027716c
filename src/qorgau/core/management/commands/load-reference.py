from typing import Any

from django.core.management.base import BaseCommand

from qorgau.accounts.services import agency_kinds_load, roles_sync
from qorgau.cases.reference import markers_load
from qorgau.core.geography import load_reference
from qorgau.protocols.definitions import protocols_load
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.training.reference import courses_load


class Command(BaseCommand):
    help = "Load the shipped reference data (regions, districts, agency kinds, risk instruments and levels) and sync role groups."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_reference()
        kinds = agency_kinds_load()
        roles = roles_sync()
        markers = markers_load()
        instruments = instruments_load()
        levels = policy_load()
        protocols = protocols_load()
        courses = courses_load()
        for error in protocols.errors:  # a broken protocol file is reported; the last valid version stays in force
            self.stderr.write(f"protocol file refused: {error}")
        for warning in protocols.warnings:  # loaded, but a level's measure has no duty
            self.stderr.write(f"protocol coverage: {warning}")
        self.stdout.write(
            f"regions {report.regions}, districts {report.districts}, agency kinds {kinds}, roles {roles}, markers {markers}, "
            f"new instrument versions {instruments}, risk levels {levels}, new protocol versions {protocols.new}, training courses {courses}"
        )
