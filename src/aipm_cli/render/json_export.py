"""The JSON export: a versioned document that `aipm import` reads back losslessly."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.report import Report


def render(report: Report) -> str:
    from aipm_cli.report import export_text

    return export_text(report)
