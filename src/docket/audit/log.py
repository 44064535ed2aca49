"""Writing the audit log of administrative actions: `record()`, which every app calls.

Actions call `record()` inside their own transaction, so an entry exists exactly when the
change it describes was committed. Who/where comes from the request context (core/context.py).
This module sits below every app that records, so it imports only the audit model and core;
reading the log, which needs the project gate, is in audit/queries.py.
"""

from __future__ import annotations

from typing import Any

from docket.audit.models import AuditEntry
from docket.core import context
from docket.core.clock import now


def record(
    actor: Any,
    action: str,
    *,
    project: Any = None,
    target: str = "",
    **data: Any,
) -> AuditEntry:
    """Append one entry. `actor` (a user or an accounts.Actor; typed loosely, as accounts sits
    above this module) None means the command line (the server's owner).

    `project` is a projects.Project or None (typed loosely: projects sits above this module).
    """
    signed_in = actor is not None and actor.is_authenticated
    where = context.current()
    return AuditEntry.objects.create(
        at=now(),
        actor_id=actor.pk if signed_in else None,  # a user or an accounts Actor
        actor_name=actor.username if signed_in else "(command line)",
        action=action,
        project=project,
        project_key=project.key if project else "",
        target=str(target)[:200],
        data=data,
        ip=where.ip,
        via=where.via or "cli",  # no request context: the command line
    )
