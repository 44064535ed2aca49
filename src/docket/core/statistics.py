"""Keeping SQLite's planner statistics complete after a migration adds an index.

SQLite plans with per-index statistics (`sqlite_stat1`) once ANALYZE has run (`docket import`
runs it). An index that a later migration adds has none, and SQLite then guesses it matches
about ten rows. After issues 0007 added (project, priority, id), it chose that index for the
default issue list and sorted a 20,000-issue project on every page (2 ms became 50 ms) until
the next ANALYZE. PostgreSQL keeps statistics per column, so new indexes need nothing there.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

# Partial indexes are left out: ANALYZE writes no statistics for one with no entries yet
# (no issue has a parent), so it would look new forever; SQLite's guess of ten rows a key
# suits them, as they only serve queries that name what they hold.
_UNANALYZED_TABLES = """
    SELECT DISTINCT m.tbl_name FROM sqlite_master m
    WHERE m.type = 'index' AND m.name NOT LIKE 'sqlite_%'
      AND instr(upper(m.sql), ' WHERE ') = 0
      AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)
      AND EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.tbl_name)
"""


def analyze_new_indexes(using: str = "default", **_: Any) -> list[str]:
    """ANALYZE the tables where some indexes have statistics and others none (a table
    never analyzed, or empty, has none at all, and the planner treats its indexes alike).
    Returns the tables analyzed. Connected to `post_migrate`."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return []
        cursor.execute(_UNANALYZED_TABLES)
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
