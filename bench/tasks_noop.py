"""A task that does nothing, for the floor of ``bench/reminders.py``: what one task
costs through the broker and worker of Legami (publish, reserve, run, late ack) when
the task itself is free. Loaded by the benchmark's workers with ``-I bench.tasks_noop``;
no other worker imports it."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop")
def noop(n: int) -> None:
    """Nothing."""
