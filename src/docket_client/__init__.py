"""`docket`'s terminal client: issues, projects, boards and more over the REST API only.

It never imports Django or `docket.*` (an import-linter contract says so), so the `docket`
command starts fast and talks to any Docket server, local or remote (docs/cli.md).
"""

# The distribution's version, kept here because importlib.metadata costs ~20 ms at start-up
# (tests/client/test_client.py checks that the two agree).
__version__ = "0.1.0"
