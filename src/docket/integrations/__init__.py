"""Integrations: Docket and the systems around it (docs/integrations.md).

Three Django apps, one per direction of traffic, so each owns its tables and migrations:
- `vcs`: repositories connected to a project; signed push and pull-request deliveries from
  GitHub, GitLab and Gitea/Forgejo link commits and PRs to issues and close them.
- `alerts`: monitoring alert intakes (Alertmanager, Grafana) that open and resolve incidents.
- `hooks`: outbound webhooks (Standard Webhooks JSON, Slack, Mattermost, Teams, Discord)
  delivered by the worker from the event log, with retries and a delivery log.
They sit beside notifications and automation: they read the event log and call actions.
"""
