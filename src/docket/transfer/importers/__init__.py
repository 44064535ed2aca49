"""Importers from other trackers. Each format has a converter (csv_mapping, jira_xml,
github, trello, bugzilla) that turns a file into the same records Docket's own JSON Lines
import loads — people, and issues with comments and history — and one loader (loader.py)
writes them through the issues app's bulk import action. docs/import-export.md tells how to
use them."""
