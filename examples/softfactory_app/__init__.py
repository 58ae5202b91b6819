"""The SoftFactory example app: a Flask API whose /metrics exports the families of the
spec's `softfactory-api` catalog, with run-time switches for fault drills (control.py).

Run it: `python -m examples.softfactory_app --port 8000` (see README.md here).
"""
