"""Where sfmon finds its own files, without importing the heavy modules."""

from __future__ import annotations

from pathlib import Path


def default_templates() -> Path:
    """Templates ship inside the wheel (sfmon/templates); in a checkout they live at the top."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


# Third-party JSON Schemas (Grafana, Compose, ...), vendored with their notices.
SCHEMAS = Path(__file__).resolve().parent / "schemas"
