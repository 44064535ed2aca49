"""Format name → converter, for the command line and the import page."""

from __future__ import annotations

from docket.core.errors import Invalid
from docket.transfer.importers import bugzilla, csv_mapping, github, jira_xml, trello
from docket.transfer.importers.records import Converted, decoded

FORMATS = {
    "csv": "CSV with a column mapping",
    "jira-xml": "Jira XML export",
    "jira-csv": "Jira CSV export",
    "github": "GitHub issues (REST objects with comments and events)",
    "trello": "Trello board JSON",
    "bugzilla": "Bugzilla REST bugs (with comments and history)",
}
PRESETS = tuple(csv_mapping.PRESETS)


def convert(
    name: str,
    data: bytes,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
) -> Converted:
    """The file `data` in format `name` as records; Invalid if it is not that format at all
    (single bad rows come back as `Bad` items instead)."""
    text = decoded(data)
    if name == "csv":
        if not mapping and not preset:
            raise Invalid.field("map", "a CSV import needs a mapping (--map) or a --preset")
        return csv_mapping.convert(text, mapping=mapping, preset=preset)
    if name == "jira-csv":
        return csv_mapping.convert(text, mapping=mapping, preset=preset or "jira")
    if name == "jira-xml":
        return jira_xml.convert(text)
    if name == "github":
        return github.convert(text)
    if name == "trello":
        return trello.convert(text)
    if name == "bugzilla":
        return bugzilla.convert(text)
    raise Invalid.field("format", f"unknown format {name!r}; one of {', '.join(FORMATS)}")


def default_source(name: str, project_key: str) -> str:
    """Where a format's record ids belong when no --source is given: one tracker's export
    into one project, so successive exports of it update the same issues."""
    return f"{name}:{project_key}"
