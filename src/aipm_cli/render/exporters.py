"""One exporter per report format, each `Report -> str`, imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aipm_cli.report import Report

# format -> module whose `render(report) -> str` writes it
REGISTRY: dict[str, str] = {
    "md": "aipm_cli.render.markdown",
    "html": "aipm_cli.render.html",
    "json": "aipm_cli.render.json_export",
    "csv": "aipm_cli.render.csv_export",
}


def exporter(fmt: str) -> Callable[[Report], str]:
    render: Callable[[Report], str] = import_module(REGISTRY[fmt]).render
    return render
