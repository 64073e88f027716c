#!/usr/bin/env bash
# The demo's monitoring runtime (docs/monitoring-runtime.md): the project's Mosquitto on
# QORGAU_MQTT_PORT (1884), one router, one monitor and the device simulator, in the background,
# with their pids and logs under var/. Without mosquitto it says so and does nothing.
#   scripts/monitoring-demo.sh         start (stopping an earlier run first)
#   scripts/monitoring-demo.sh stop    stop what an earlier run started
set -uo pipefail
cd "$(dirname "$0")/.."
export QORGAU_DEMO="${QORGAU_DEMO:-1}"
QORGAU="${QORGAU:-.venv/bin/qorgau}"
VAR="${QORGAU_VAR_DIR:-var}"
PORT="${QORGAU_MQTT_PORT:-1884}"
export QORGAU_MQTT_PORT="$PORT"
RUN="$VAR/monitoring"
mkdir -p "$RUN"

stop() {
  # Only the processes this script started, by the pids it wrote; the broker last, so the monitor
  # acknowledges what it has and the broker saves its queues.
  for name in simulator monitor router broker; do
    pidfile="$RUN/$name.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$pidfile"
  done
}

if [ "${1:-start}" = "stop" ]; then
  stop
  echo "monitoring demo stopped"
  exit 0
fi

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  echo "monitoring demo: mosquitto is not installed (apt-get install mosquitto); no broker, router, monitor or simulator started."
  echo "The operator's screen still works; pings can be posted to the HTTP ingest endpoint."
  exit 0
fi

stop
"$QORGAU" broker --write-only --port "$PORT" || exit 1
nohup "$QORGAU" broker --port "$PORT" >"$RUN/broker.log" 2>&1 &
echo $! >"$RUN/broker.pid"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
nohup "$QORGAU" route --name router-1 >"$RUN/router.log" 2>&1 &
echo $! >"$RUN/router.pid"
nohup "$QORGAU" monitor >"$RUN/monitor.log" 2>&1 &
echo $! >"$RUN/monitor.pid"
# The simulated devices are created once, on demo cases with an order in force.
CREATE="--create"
"$QORGAU" shell -c "import sys; from qorgau.monitoring.models import Device; sys.exit(0 if Device.objects.filter(serial__startswith='SIM-').exists() else 1)" \
  >/dev/null 2>&1 && CREATE=""
nohup "$QORGAU" simulate-devices --devices 2 --scenario mixed --minutes 120 --interval 10 --speed 10 --mqtt gateway $CREATE \
  >"$RUN/simulator.log" 2>&1 &
echo $! >"$RUN/simulator.pid"
echo "monitoring demo: broker on 127.0.0.1:$PORT, router, monitor and simulator running (pids and logs in $RUN/; stop: scripts/monitoring-demo.sh stop)"
