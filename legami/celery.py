"""The Celery application of Legami.

Tasks are declared in each app's ``tasks.py`` with an explicit name, and are sent after
the surrounding transaction commits (``task.delay_on_commit(...)``), never before.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legami.settings")

app = Celery("legami")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
