"""Running a coroutine from a sync test, whatever else the worker runs.

Playwright's sync API keeps an event loop running in the test process once a browser test
has run, so `asyncio.run()` there fails ("cannot be called from a running event loop").
A thread of its own gets a fresh loop."""

from __future__ import annotations

from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_own_loop(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio_run, coro).result()


def asyncio_run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio

    return asyncio.run(coro)
