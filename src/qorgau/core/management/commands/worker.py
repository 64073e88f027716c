from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from qorgau.core.task_worker import ResilientWorker


class Command(DbWorkerCommand):
    help = "Run the task worker (django-tasks-db's db_worker) so that it survives a database restart."

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            from django.core.management.base import CommandError

            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names, interval=options["interval"], batch=options["batch"],
            backend_name=options["backend_name"], startup_delay=options["startup_delay"], max_tasks=options["max_tasks"],
            worker_id=options["worker_id"], excluded_queue_names=excluded,
        )
        worker.configure_signals()  # no autoreload: this is the production worker
        worker.run()
