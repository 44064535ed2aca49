"""`docket export`: a project or a query's result to CSV or JSON Lines, on the command line.

Who the export is for: `--as USER` exports exactly what that user can see (the same gate as
the API and the pages); without it, the command runs as the server owner does for
`docket import`: as the first active site admin, who sees every issue (deleted ones aside).
The rows are written as they are read (transfer/export.py), so memory stays flat however
large the project.
"""

from __future__ import annotations

from typing import Any, TextIO

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.core.errors import Invalid
from docket.transfer.export import asked, chunks, select, write_to


def exporter(username: str | None) -> Actor:
    """`username` if given and active, else the first active site admin."""
    people = User.objects.filter(is_active=True)
    if username:
        found = people.filter(username=username).first()
        if found is None:
            raise Invalid(f"no active user {username!r}")
        return Actor(found)
    admin = people.filter(is_superuser=True).order_by("id").first()
    if admin is None:
        raise Invalid("no site admin to export as; run `docket createadmin` or pass --as USER")
    return Actor(admin)


def export(
    out: TextIO,
    *,
    project: str | None,
    query: str = "",
    form: str = "csv",
    columns: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """Write the export to `out`; returns who it was for and how many characters."""
    actor = exporter(username)
    wanted = asked(form, columns, project)
    selection = select(actor, project=project, query=query)
    written = write_to(out, chunks(actor, selection, wanted))
    return {"as": actor.username, "characters": written}
