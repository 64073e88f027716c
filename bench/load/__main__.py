"""``python -m bench.load``: the web and the API under load, as a report of its own.

    python -m bench.load --database-url postgres://postgres@127.0.0.1:5432/qorgau_load --var-dir /tmp/h2-var

The database must hold a demo installation (``QORGAU_DEMO=1 qorgau demo --scale medium``, or the
national set) whose keys are in ``--var-dir``. Durations and sizes: see ``--help`` (or the
``QORGAU_LOAD_*`` variables of ``bench.load.run.LoadSettings.from_env``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.harness import Report
from bench.load.run import LoadSettings, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("QORGAU_LOAD_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    parser.add_argument("--var-dir", default=os.environ.get("QORGAU_LOAD_VAR_DIR") or os.environ.get("QORGAU_VAR_DIR"))
    parser.add_argument("--users", help="realistic runs, comma-separated simulated staff counts (default 50,200; 0: none)")
    parser.add_argument("--duration", type=int, help="seconds of each realistic run once all users started (default 60)")
    parser.add_argument("--closed-users", type=int, help="concurrent users of the closed loop (default 16)")
    parser.add_argument("--closed-duration", type=int, help="seconds of each closed-loop measurement (default 15)")
    parser.add_argument("--rounds", type=int, help="closed-loop rounds of empty, one-query and case page (default 3; 0: none)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, help="threads per gthread worker (default 4)")
    parser.add_argument("--cache", help="the server's shared cache: auto (the local Redis when it answers; default), none, or a redis:// URL")
    parser.add_argument("--label", default="", help="what the report calls the data set (default: the database name)")
    args = parser.parse_args(argv)
    if not args.database_url or not args.var_dir:
        parser.error("--database-url and --var-dir are required (the demo installation and its keys)")
    settings = LoadSettings.from_env(
        users=tuple(int(u) for u in args.users.split(",")) if args.users else None,
        duration=args.duration,
        closed_users=args.closed_users,
        closed_duration=args.closed_duration,
        rounds=args.rounds,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        cache=args.cache,
    )
    report = Report()
    results = run(report, database_url=args.database_url, var_dir=Path(args.var_dir), settings=settings, label=args.label)
    out = Path(results["out"])
    report.write(out, "load-report")
    print(f"\nwritten: {out / 'load-report.md'} (locust CSV files and histograms beside it)")
    print(json.dumps({"out": str(out)}))


if __name__ == "__main__":
    main()
