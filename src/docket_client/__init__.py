"""`docket`'s terminal client: issues, projects, boards and more over the REST API only.

It never imports Django or `docket.*` (an import-linter contract says so), so the `docket`
command starts fast and talks to any Docket server, local or remote (docs/cli.md).
"""
