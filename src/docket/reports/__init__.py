"""Project health: dashboards and "as of" views, computed from the issues and their event
log through the issue gate (docs/reports.md)."""
