"""gunicorn's settings for Legami: ``gunicorn legami.wsgi:application --config
python:legami.gunicorn_conf`` (the Dockerfile, docker-compose and the benchmarks).
Options given on the command line win over these.

Threads (``gthread``): a long download holds one thread, not a whole worker, and the
worker timeout watches the worker's heartbeat, not the request. With sync workers a
1,000,000-row CSV export, which streams for a minute or more, was killed after
gunicorn's 30 s and the user got a file cut short without a word (bench/export_csv.py).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker whose every thread is stuck for this long is restarted.
timeout = 30
graceful_timeout = 30
accesslog = "-"
logger_class = "legami.gunicorn_logging.RedactingLogger"
