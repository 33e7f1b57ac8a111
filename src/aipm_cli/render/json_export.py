"""The JSON export: a versioned document that `aipm import` reads back losslessly."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.report import Report


def render(report: Report) -> str:
    from aipm_cli.report import export_document

    return json.dumps(export_document(report), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
