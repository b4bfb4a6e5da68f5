"""The project's own folders, shared by both targets: where the code, reports and state live."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"
REPORTS_DIR = PROJECT_DIR / "reports"
CHALICE_DIR = PROJECT_DIR / ".chalice"
AWS_STATE_DIR = PROJECT_DIR / ".aws-state"
