"""Writing the audit log of administrative actions: `record()`, which every app calls.

Actions call `record()` inside their own transaction, so an entry exists exactly when the
change it describes was committed. Who/where comes from the request context (core/context.py).
This module sits below every app that records, so it imports only the audit model and core;
reading the log, which needs the project gate, is in audit/queries.py.
"""

from __future__ import annotations

from typing import Any, Protocol

from docket.audit.models import AuditEntry
from docket.core import context
from docket.core.clock import now


class Acting(Protocol):
    """Who acts, as the log needs it: a user or an accounts.Actor (accounts sits above this
    module, so it is described here rather than imported)."""

    @property
    def is_authenticated(self) -> bool: ...
    @property
    def pk(self) -> Any: ...
    @property
    def username(self) -> str: ...


def record(
    actor: Acting | None,
    action: str,
    *,
    project: Any = None,
    target: str = "",
    **data: Any,
) -> AuditEntry:
    """Append one entry. `actor` None means the command line (the server's owner).

    `project` is a projects.Project or None (typed loosely: projects sits above this module).
    """
    signed_in = actor if actor is not None and actor.is_authenticated else None
    where = context.current()
    return AuditEntry.objects.create(
        at=now(),
        actor_id=signed_in.pk if signed_in else None,
        actor_name=signed_in.username if signed_in else "(command line)",
        action=action,
        project=project,
        project_key=project.key if project else "",
        target=str(target)[:200],
        data=data,
        ip=where.ip,
        via=where.via or "cli",  # no request context: the command line
    )
