import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.core import clock
from qorgau.monitoring import simulator
from qorgau.monitoring.simulator import SCENARIOS


class Command(BaseCommand):
    help = ("Drive N offender sets through scripted days (home, work, travel, an approach, her home zone, a tamper, "
            "a dead battery, a silent device) over HTTP, MQTT or in-process, and print what was scripted.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--devices", type=int, default=10, help="offender sets (each: his bracelet and her device)")
        parser.add_argument("--minutes", type=float, default=60.0, help="length of the simulated day")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between two pings of a device")
        parser.add_argument("--speed", type=float, default=0.0, help="time acceleration; 1 = live, 0 = as fast as possible")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--scenario", choices=[*SCENARIOS, "mixed"], default="mixed")
        parser.add_argument("--create", action="store_true", help="create devices, sets, assignments and zones on demo cases")
        parser.add_argument("--prefix", default="SIM", help="serial prefix of the simulated devices")
        parser.add_argument("--http", metavar="URL", help="POST batches to this ingest URL (with --token)")
        parser.add_argument("--token", help="the device gateway's machine token")
        parser.add_argument("--mqtt", choices=["gateway", "device"], help="publish over MQTT: as a gateway batching, or per device")
        parser.add_argument("--gateway", default="simulator", help="gateway name (its topic and broker user)")
        parser.add_argument("--gateway-password", default="", help="the gateway's broker password (default: the service account)")
        parser.add_argument("--batch", type=int, default=2000, help="at most this many pings per message")
        parser.add_argument("--max-wait", type=float, default=180.0,
                            help="seconds it may wait for the clock to pass the previous run's pings")

    def handle(self, *args: Any, **o: Any) -> None:
        secrets: dict[str, str] = {}
        if o["create"]:
            try:
                sets, secrets = simulator.provision(o["devices"], o["scenario"], prefix=o["prefix"], seed=o["seed"])
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"created {len(sets)} offender sets ({2 * len(sets)} devices)")
        else:
            sets = simulator.sets_existing(o["devices"], o["scenario"], prefix=o["prefix"])
            if len(sets) < o["devices"]:
                raise CommandError(f"only {len(sets)} simulated sets exist; run with --create first")
        first, last_ts = simulator.resume_point([s.bracelet for s in sets] + [s.victim for s in sets])
        start, wait = simulator.start_after(clock.now().timestamp(), o["minutes"], o["speed"], o["interval"], last_ts)
        if wait > o["max_wait"]:
            raise CommandError(
                f"the last simulated pings of these devices reach {wait:.0f} s past where this day would start; "
                f"wait that long, or run live (--speed 1), or raise --max-wait"
            )
        if wait > 0:
            self.stdout.write(f"waiting {wait:.0f} s so this day starts after the previous one")
            time.sleep(wait)
            start = simulator.start_for(clock.now().timestamp(), o["minutes"], o["speed"])
        plan = simulator.plan(sets, start=start, minutes=o["minutes"], interval=o["interval"], seed=o["seed"], first_seq=first)
        self.stdout.write(plan.summary())
        clients: list[Any] = []
        try:
            send = self._sender(o, secrets, sets, clients)
            report = simulator.run(plan, send, speed=o["speed"], batch_size=o["batch"])
        finally:
            from qorgau.monitoring import mqtt

            for client in clients:
                mqtt.disconnect(client)
        rate = report.sent / report.seconds if report.seconds else 0.0
        self.stdout.write(f"sent {report.sent} pings in {report.batches} batches in {report.seconds:.1f} s ({rate:.0f} pings/s)")

    def _sender(self, o: dict[str, Any], secrets: dict[str, str], sets: list[simulator.SimSet], clients: list[Any]) -> Any:
        if o["http"]:
            if not o["token"]:
                raise CommandError("--http needs --token (a device gateway's machine token)")
            return simulator.http_sender(o["http"], o["token"])
        if o["mqtt"]:
            from qorgau.monitoring import mqtt

            endpoint = mqtt.Endpoint.from_settings()
            if o["mqtt"] == "gateway":
                client = mqtt.client_create(endpoint, client_id=f"gw-{o['gateway']}-{int(time.time())}",
                                            username=o["gateway"] if o["gateway_password"] else None,
                                            password=o["gateway_password"] or None)
                mqtt.connect_wait(client, endpoint)
                clients.append(client)
                return simulator.mqtt_gateway_sender(client, o["gateway"])
            if not secrets:
                raise CommandError("--mqtt device needs the devices' passwords: use it with --create")
            per_device = {}
            for s in sets:
                for serial in (s.bracelet, s.victim):
                    client = mqtt.client_create(endpoint, client_id=f"dev-{serial}", username=serial, password=secrets[serial])
                    mqtt.connect_wait(client, endpoint)
                    clients.append(client)
                    per_device[serial] = client
            return simulator.mqtt_device_sender(per_device)
        return simulator.inline_sender()
