"""The web and the API under load (issue 10): locust against a gunicorn server on PostgreSQL.

``python -m bench.load`` (or ``run(report, …)`` from ``make bench``) mints staff sessions
(``bench.load.staff``), starts gunicorn (``bench.load.server``), drives it with locust
(``bench.load.locustfile``) and turns the CSV statistics (``bench.load.stats``) into figures.
"""
