from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from qorgau.accounts.models import User
from qorgau.analytics.demo_strategy import strategy_demo
from qorgau.analytics.refresh import tallies_refresh
from qorgau.core import clock
from qorgau.demo.conferences import conferences_seed
from qorgau.demo.intake import intake_seed
from qorgau.demo.national.build import AlreadyLoaded, national_build
from qorgau.demo.national.plan import REPORTS_PER_YEAR
from qorgau.demo.orders import orders_seed
from qorgau.demo.programmes import programmes_seed
from qorgau.demo.protocol_backlog import protocol_backlog
from qorgau.demo.risk_history import risk_history
from qorgau.demo.seed import DEMO_PASSWORD, REGIONAL_POLICE, regional_username, seed_demo
from qorgau.demo.shelters import shelters_seed
from qorgau.demo.support import support_seed
from qorgau.demo.synthetic import DEFAULT_SEED, generate, reports_for_scale
from qorgau.demo.training import training_seed
from qorgau.demo.watch import watch_seed
from qorgau.monitoring.demo_seed import monitoring_demo
from qorgau.training.models import Action
from qorgau.training.reference import requirements_enforce


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate, load reference data, create demo agencies and one user per role, "
        "and register synthetic reports and cases in all 20 regions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            default="small",
            help=(
                "synthetic reports: small (about 300, the default), medium (about 3,000), a number (0 adds none), "
                "or national (about 100,000 a year over --years, written in bulk)"
            ),
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the random seed of the synthetic data")
        parser.add_argument("--years", type=float, default=10.0, help="with --scale national: the years of history (default 10)")
        parser.add_argument("--reports", type=int, default=None, help="with --scale national: this many reports instead (a small run)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("refused: the demo creates users with known passwords (set QORGAU_DEMO=1)")
        national = options["scale"] == "national"
        if national:
            reports = self._national_reports(options)
        else:
            try:
                reports = reports_for_scale(options["scale"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load-reference", stdout=self.stdout)
        translation.activate("en")
        users = seed_demo()
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}; second factor: TOTP)")
        self.stdout.write(f"{'user':<12} {'role':<36} {'TOTP secret (base32)':<34} unit")
        for u in users:
            self.stdout.write(f"{u.username:<12} {u.role:<36} {u.totp_secret:<34} {u.unit}")
        self.stdout.write("The current six-digit code of a user: QORGAU_DEMO=1 .venv/bin/qorgau totp USER   (or: make totp USER=inspector)")
        if reports:
            first, last = regional_username(REGIONAL_POLICE[0][0]), regional_username(REGIONAL_POLICE[-1][0])
            self.stdout.write(
                f"The other synthetic cases are held by one police department per region; its inspector ({first} … {last}) "
                "has the same password."
            )
        if national:
            self._national(reports, options)
            return
        # The history is replayed with the certificate gate off (the past predates the demo's
        # certificates); training_seed switches it on again once every signer holds one.
        requirements_enforce(Action.SIGN_RISK_ASSESSMENT, False)
        started = clock.now()
        summary = generate(reports=reports, seed=options["seed"])
        line = summary.line((clock.now() - started).total_seconds())
        started = clock.now()
        self.stdout.write(line + risk_history(seed=options["seed"]).tail((clock.now() - started).total_seconds()))
        training_seed()
        shelters_seed()
        intake_seed()
        if reports:
            started = clock.now()
            backlog = protocol_backlog()
            self.stdout.write(backlog.line((clock.now() - started).total_seconds()))
            orders = orders_seed()  # before the conferences: a breach proposes one
            self.stdout.write(
                f"Orders and courts: {orders['orders']} orders, {orders['breaches']} breaches, {orders['hearings']} hearings, "
                f"{orders['criminal_cases']} criminal cases, {orders['decisions']} court decisions."
            )
            # Devices, zones and a handful of alerts in each state on served orders (the live stream
            # comes from the simulator that `serve` starts when Mosquitto is installed).
            monitoring_demo(stdout=self.stdout)
            support = support_seed()  # referrals on the synthetic cases
            self.stdout.write(f"Socio-economic support: {support['programmes']} programmes, {support['referrals']} referrals.")
            programmes = programmes_seed()
            self.stdout.write(f"Offender programmes: {programmes['programmes']} programmes, {programmes['enrolments']} enrolments.")
            conferences = conferences_seed()
            self.stdout.write(
                f"Case conferences: {conferences['proposed']} proposed by the rules, {conferences['held']} held with decisions."
            )
            watch = watch_seed()
            self.stdout.write(
                f"Access watch: the inspector broke the glass {watch['break_glass']} times; {watch['alerts']} alert(s) for her supervisor."
            )
            # The analysts' figures: tallies of everything above, then the strategy, whose baselines are the
            # demo data's own 2024 figures.
            started = clock.now()
            refreshed = tallies_refresh(full=True)
            self.stdout.write(
                f"Analytics: {refreshed.rows} tally rows over {refreshed.months} months "
                f"in {(clock.now() - started).total_seconds():.1f} s."
            )
            self.stdout.write(strategy_demo(User.objects.get(username="analyst")))

    def _national_reports(self, options: dict[str, Any]) -> int:
        years = options["years"]
        if not 0 < years <= 30:
            raise CommandError("--years: more than 0 and at most 30")
        reports = options["reports"] if options["reports"] is not None else round(REPORTS_PER_YEAR * years)
        if not 1 <= reports <= 5_000_000:
            raise CommandError("--reports: from 1 to 5000000")
        return int(reports)

    def _national(self, reports: int, options: dict[str, Any]) -> None:
        """The national history in bulk (demo.national), after the centres and certificates it refers to."""
        training_seed()
        shelters_seed()
        self.stdout.write(f"National history: {reports:,} reports over {options['years']:g} years (seed {options['seed']}) …")
        try:
            built = national_build(reports=reports, years=options["years"], seed=options["seed"], out=getattr(self.stdout, "_out", None))
        except AlreadyLoaded as exc:
            self.stdout.write(f"National history already present: {exc}.")
        else:
            for line in built.lines():
                self.stdout.write(line)
        started = clock.now()
        refreshed = tallies_refresh(full=True)
        self.stdout.write(
            f"Analytics: {refreshed.rows} tally rows over {refreshed.months} months "
            f"in {(clock.now() - started).total_seconds():.1f} s."
        )
        self.stdout.write(strategy_demo(User.objects.get(username="analyst")))
