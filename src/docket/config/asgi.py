"""The ASGI application `docket serve` runs.

Django's ASGIHandler gives every request its own thread for synchronous code
(ThreadSensitiveContext). Database connections belong to a thread, so that means a new
database connection per request (measured: two connects per request, ~40% of the time of
a small read). Docket's views are synchronous and short; running them on the process's one
long-lived sync thread keeps connections (and SQLite's page cache) alive across requests.
Async views (live updates) still run on the event loop, side by side.
"""

import os
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")


class DocketASGIHandler(ASGIHandler):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Docket can only handle HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


django.setup(set_prefix=False)
application = DocketASGIHandler()
