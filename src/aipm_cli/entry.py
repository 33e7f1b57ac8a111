"""The `aipm` command: a completion request is answered before the CLI framework is imported."""

from __future__ import annotations

import os


def main() -> None:
    if os.environ.get("_AIPM_COMPLETE"):
        from aipm_cli.completion import run

        run()
        return
    from aipm_cli.cli import main as cli_main

    cli_main()
