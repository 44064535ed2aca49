"""Monitoring alert intakes: Alertmanager and Grafana webhooks open and resolve incidents."""
