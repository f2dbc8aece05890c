"""Helpers of the concurrency tests (PostgreSQL): jobs released together in threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in parallel threads, released together, each on its own database
    connection; returns each job's result or the exception it raised."""
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results
