"""Where sfmon finds its own files, without importing the heavy modules."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # sfmon/, whatever module asks

# Third-party JSON Schemas (Grafana, Compose, ...), vendored with their notices.
SCHEMAS = PACKAGE / "schemas"


def default_templates() -> Path:
    """Templates ship inside the wheel (sfmon/templates); in a checkout they live at the top."""
    packaged = PACKAGE / "templates"
    return packaged if packaged.is_dir() else PACKAGE.parent / "templates"
