"""Prometheus and Alertmanager behaviour that sfmon re-implements: durations, PromQL arithmetic,
Go templates, matchers, quoting, routing. Pure; below the models, so kinds can use it."""
