"""sfmon: one spec in, a proven Prometheus / Alertmanager / Grafana stack out."""

__version__ = "0.1.0"
