"""What ``casebook session report`` and ``session close`` do, kept out of cli.py so the click
layer only turns options into these calls."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from casebook.messages import t
from casebook.sessions import SessionError, normalise_code


def report(code: str, fmt: str, out: str | None, language: str) -> None:
    from casebook.report import build_report, render
    from casebook.store import open_store

    try:
        text = render(build_report(open_store(), code, language=language), fmt)
    except SessionError as exc:
        click.echo(exc.message(language), err=True)
        sys.exit(1)
    if out:
        Path(out).write_text(text, "utf-8", newline="")  # the csv module writes its own \r\n
        click.echo(t("cli_report.written", language, file=out), err=True)
    else:
        click.echo(text, nl=False)


def close(code: str, language: str) -> None:
    from casebook.retention import close_session
    from casebook.store import open_store

    try:
        result = close_session(open_store(), code)
    except SessionError as exc:
        click.echo(exc.message(language), err=True)
        sys.exit(1)
    key = "cli_report.closed" if result["closed"] else "cli_report.already_closed"
    click.echo(t(key, language, code=normalise_code(code), votes=result["votes"], participants=result["participants"]))
