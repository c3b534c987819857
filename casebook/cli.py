"""The ``casebook`` command: a thin click layer that turns options into calls."""

from __future__ import annotations

import json
import sys

import click

from casebook.exceptions import CasebookError
from casebook.messages import normalise_language, t

FORMATS = click.Choice(["text", "json"])


def _dump(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group()
@click.option(
    "--language", "-l", envvar="CASEBOOK_LANGUAGE", default="nl", show_default=True,
    type=click.Choice(["nl", "en"]), help="Language of messages and labels.",
)
@click.pass_context
def main(ctx: click.Context, language: str) -> None:
    """Intervisie Casebook: cases for the intervision of confidential advisers."""
    ctx.obj = {"language": normalise_language(language)}


@main.command()
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_obj
def catalogue(obj, fmt):
    """Print the do's, don'ts and themes with their explanations."""
    from casebook.catalogue import load_catalogue

    lang = obj["language"]
    cat = load_catalogue()
    if fmt == "json":
        _dump(cat.as_dict())
        return
    for title, items in ((t("catalogue.dos", lang), cat.dos), (t("catalogue.donts", lang), cat.donts)):
        click.secho(title, bold=True)
        for item in items:
            click.echo(f"  {item.id:40} {item.label_in(lang)}")
            click.echo(f"      {item.explanation_in(lang)}")
    click.secho(t("catalogue.themes", lang), bold=True)
    for theme in cat.themes:
        click.echo(f"  {theme.id:40} {theme.label_in(lang)}")
    if cat.situations:
        click.secho(t("browse.situation", lang), bold=True)
        for situation in cat.situations:
            click.echo(f"  {situation.id:40} {situation.label_in(lang)}")
    if cat.legal_status:
        click.echo(cat.legal_status_note(lang))


@main.command("list")
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.argument("folders", nargs=-1, type=click.Path())
@click.pass_obj
def list_cases(obj, fmt, folders):
    """List the cases (built-in and CASEBOOK_CASES, or the FOLDERS given)."""
    from casebook.cases import load_cases

    lang = obj["language"]
    book = load_cases(list(folders) if folders else None)
    if fmt == "json":
        _dump({
            "cases": [
                {"id": c.id, "title": c.title, "language": c.language, "themes": list(c.themes),
                 "sector": c.sector, "summary": c.summary, "key": list(c.key_items),
                 "dialogue": bool(c.dialogue), "file": c.path}
                for c in book
            ],
            "problems": [{"file": p.file, **p.as_dict(lang)} for p in book.problems],
        })
    else:
        click.secho(t("cli.list_header", lang, count=len(book)), bold=True)
        for case in book:
            click.echo(f"  {case.id:10} [{case.language}] {case.title}  ({', '.join(case.themes)})")
    if book.problems:
        click.echo(t("cli.load_problems", lang, count=len({p.file for p in book.problems})), err=True)
        for problem in book.problems:
            click.echo(f"  {problem.describe(lang)}", err=True)
    sys.exit(1 if book.problems else 0)


@main.command()
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_obj
def check(obj, fmt, paths):
    """Validate case files (.md) and drafts (.txt). Exit 0 clean, 1 problems, 2 usage."""
    from casebook.check import check_paths

    lang = obj["language"]
    if not paths:
        raise click.UsageError(t("cli.no_paths", lang))
    reports = check_paths(list(paths), language=lang)
    if fmt == "json":
        _dump([r.as_dict(lang) for r in reports])
    else:
        for report in reports:
            if report.ok and report.warnings:
                click.echo(t("cli.check_ok_with_warnings", lang, file=report.file, count=len(report.warnings)))
            elif report.ok:
                click.echo(t("cli.check_ok", lang, file=report.file))
            for warning in report.warnings:
                click.echo(f"{warning.file}:{warning.line}: {t('cli.warning', lang)}: {warning.message(lang)}")
            for error in report.errors:
                click.echo(error.describe(lang))
            if report.findings:
                click.echo(t("cli_anonymisation.findings_header", lang, file=report.file, count=len(report.findings)))
            for finding in report.findings:
                click.echo(f"{report.file}:{finding['line']}: {finding['message']}")
            if report.allowed:  # shown, so that a reviewer sees what the allow-list lets pass
                click.echo(t("cli_anonymisation.allowed_header", lang, file=report.file, count=len(report.allowed)))
            for finding in report.allowed:
                click.echo(f"  {report.file}:{finding['line']}: {finding['field']}: "
                           + t("anonymisation.allowed", lang, kind=t(f"anonymisation.kind.{finding['kind']}", lang),
                               text=finding["text"]))
        bad = sum(not r.ok for r in reports)
        click.echo(t("cli.check_summary", lang, files=len(reports), ok=len(reports) - bad, bad=bad))
    sys.exit(0 if all(r.ok for r in reports) else 1)


@main.command("config")
@click.pass_obj
def show_config(obj):
    """Show every configuration option: its environment variable, what it does, its value now."""
    from casebook.config import Settings, settings

    current = settings()
    for name, variable in Settings.ENVIRONMENT.items():
        value = getattr(current, name)
        if name == "trainer_token" and value:
            value = "(set)"
        click.secho(f"{variable}", bold=True, nl=False)
        click.echo(f" = {value or '-'}")
        help_text = " ".join(Settings.class_traits()[name].help.split())
        click.echo(f"    {help_text}")


@main.group()
def anonymisation():
    """The anonymisation check's set-up."""


@anonymisation.command("prepare")
@click.option("--force", is_flag=True, help="Build again even when the data is there.")
@click.pass_obj
def anonymisation_prepare(obj, force):
    """Build deduce's name and place lists once (1-2 minutes), before anyone needs them."""
    from casebook.anonymise import prepare

    try:
        prepare(force=force, progress=click.echo, language=obj["language"])
    except CasebookError as exc:
        _fail(exc.message(obj["language"]), 1)


@main.command()
@click.option("--port", default=8866, show_default=True, type=int)
@click.option("--ip", default="localhost", show_default=True,
              help="Address to listen on (0.0.0.0: every network the machine is on).")
@click.option("--open/--no-open", "open_browser", default=False, help="Open a browser.")
@click.option("--pool", "participant_pool", default=12, show_default=True, type=click.IntRange(0, 200),
              help="Preheated kernels kept ready for participant pages (0: no preheating).")
@click.option("--public-url", envvar="CASEBOOK_PUBLIC_URL",
              help="Address participants' phones use (for join links and QR codes).")
@click.option("--trainer-token", envvar="CASEBOOK_TRAINER_TOKEN",
              help="Token that opens the trainer pages (default: a new random one, printed at start).")
@click.option("--cull-after", "cull_idle_seconds", default=180, show_default=True, type=click.IntRange(5, 86400),
              help="Seconds after which the kernel of a page that stopped ticking (closed, asleep) is shut down.")
@click.option("--close-after-days", "close_after_days", envvar="CASEBOOK_CLOSE_AFTER_DAYS", default=None,
              type=click.IntRange(0, 3650),
              help="Close open sessions without activity for this many days, at start and every 6 hours "
                   "(default 30; 0: never).")
@click.option("--max-pages", envvar="CASEBOOK_MAX_PAGES", default=0, type=click.IntRange(0, 100000),
              help="Most pages (kernels) open at once; beyond that a page says the casebook is full "
                   "(default 0: computed from the machine's memory, printed at start).")
@click.option("--pages-per-browser", default=0, type=click.IntRange(0, 100),
              help="Most pages one browser holds; one more releases its oldest (default 0: 4).")
@click.pass_obj
def serve(obj, port, ip, open_browser, participant_pool, public_url, trainer_token, cull_idle_seconds,
          close_after_days, max_pages, pages_per_browser):
    """Start the casebook apps (Voila) on the default store."""
    from casebook.serve import serve as run

    click.echo(t("cli.serve_starting", obj["language"], host=ip, port=port))
    try:
        run(port=port, ip=ip, open_browser=open_browser, participant_pool=participant_pool, public_url=public_url,
            trainer_token=trainer_token, cull_idle_seconds=cull_idle_seconds, close_after_days=close_after_days,
            max_pages=max_pages, pages_per_browser=pages_per_browser)
    except CasebookError as exc:
        _fail(exc.message(obj["language"]), 1)


@main.command()
@click.option("--folder", type=click.Path(file_okay=False), default=None,
              help="The trainer folder (default: trainer/ in the data folder); session.ipynb and casebook.ipynb "
                   "are copied in when missing.")
@click.option("--port", default=8888, show_default=True, type=int)
@click.option("--ip", default="localhost", show_default=True)
@click.option("--open/--no-open", "open_browser", default=True, help="Open a browser.")
@click.option("--token", default=None,
              help="JupyterLab's token (default: a new one, printed in the URL, as `jupyter lab` does).")
@click.option("--allow-root", is_flag=True, help="Run as root (as `jupyter lab --allow-root`).")
def lab(folder, port, ip, open_browser, token, allow_root):
    """Start JupyterLab on a trainer folder: run session.ipynb for a session and its plan, casebook.ipynb to browse."""
    from casebook.lab import lab as run

    run(folder=folder, port=port, ip=ip, open_browser=open_browser, token=token, allow_root=allow_root)


@main.group()
def session():
    """Prepare and look back on live sessions."""


def _fail(message: str, code: int = 1):
    click.echo(message, err=True)
    sys.exit(code)


def _session_parameter_options(command):
    """One option per session parameter, named and explained by casebook.parameters."""
    from casebook.parameters import session_fields

    for spec in reversed(session_fields()):
        # no defaults here: an option not given leaves the value to the -f file or the template
        command = click.option(spec.metadata["cli"], spec.name, help=spec.metadata["help"], default=None,
                               show_default=False)(command)
    return command


@session.command("new")
@_session_parameter_options
@click.option("-f", "--file", "series_file", type=click.Path(dir_okay=False), default=None,
              help="Parameters from a YAML file, as papermill's -f; a list 'sessions:' in it makes a series, "
                   "each session with its own code. Options given here apply to every session.")
@click.option("--plan", "plan_html", type=click.Path(dir_okay=False), default=None,
              help="Also write the printable plan (one self-contained HTML file) here; with -f one file per "
                   "session, named FILE-CODE.html.")
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_obj
def session_new(obj, series_file, plan_html, fmt, **options):
    """Prepare a session with the papermill template notebooks/session.ipynb; prints its code and
    the participant, facilitator and projector URLs. With -f, a session or a series from a file."""
    from papermill.exceptions import PapermillExecutionError

    from casebook import plan, series

    lang = obj["language"]
    parameters = {name: value for name, value in options.items() if value is not None}
    if "cases" in parameters:
        parameters["cases"] = [c for c in parameters["cases"].replace(",", " ").split() if c]
    if "minutes" in parameters:
        parameters["minutes"] = _parse_minutes(parameters["minutes"])
    try:
        if series_file:
            made = series.new_series(series_file, overrides=parameters, defaults={"language": lang})
        else:
            if "cases" not in parameters:
                raise click.UsageError("give --cases ID,ID (or -f FILE)")
            parameters.setdefault("language", lang)
            made = [plan.new_session(parameters)]
    except CasebookError as exc:
        _fail(exc.message(lang), 1)
    except PapermillExecutionError as exc:
        _fail(f"{exc.ename}: {exc.evalue}", 1)
    _say_sessions(made, plan_html, fmt, as_list=bool(series_file))


@session.command("duplicate")
@click.argument("code")
@click.option("--plan", "plan_html", type=click.Path(dir_okay=False), default=None,
              help="Also write the printable plan (one self-contained HTML file) here.")
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_obj
def session_duplicate(obj, code, plan_html, fmt):
    """Prepare session CODE again for another group: a new code, the same cases and settings."""
    from papermill.exceptions import PapermillExecutionError

    from casebook import series

    try:
        made = [series.duplicate_session(code)]
    except CasebookError as exc:
        _fail(exc.message(obj["language"]), 1)
    except PapermillExecutionError as exc:
        _fail(f"{exc.ename}: {exc.evalue}", 1)
    _say_sessions(made, plan_html, fmt, as_list=False)


def _say_sessions(made, plan_html, fmt, as_list: bool) -> None:
    """Each session's links (and plan file); with -f a list, one entry per session."""
    from pathlib import Path

    from casebook import plan

    said = []
    for prepared, notebook in made:
        served = f"{plan.SESSIONS_FOLDER}/{notebook.stem}"
        links = {**prepared.links(served), "plan_notebook": str(notebook)}
        if plan_html:
            target = Path(plan_html)
            if as_list:
                target = target.with_name(f"{target.stem}-{prepared.code}{target.suffix or '.html'}")
            links["plan_html"] = str(plan.export_html(notebook, target))
        said.append(links)
    if fmt == "json":
        _dump(said if as_list else said[0])
        return
    for number, links in enumerate(said):
        if number:
            click.echo()
        for name, value in links.items():
            click.echo(f"{name:16} {value}")


def _parse_minutes(text: str):
    """One number, or 'phase=minutes,phase=minutes'; the session checks the values."""
    def number(value: str):
        return float(value) if "." in value else int(value)

    try:
        if "=" not in text:
            return number(text.strip())
        return {k.strip(): number(v.strip()) for k, v in (p.split("=", 1) for p in text.split(","))}
    except ValueError:
        raise click.BadParameter(f"cannot read minutes {text!r}", param_hint="--minutes") from None


@session.command("results")
@click.argument("code")
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_obj
def session_results(obj, code, fmt):
    """Aggregated votes per item per round (never who voted what); after `session close`, the
    counts closing kept."""
    from casebook import sessions
    from casebook.catalogue import load_catalogue
    from casebook.store import open_store

    lang = obj["language"]
    store = open_store()
    try:
        report = sessions.all_results(store, code)
        closed = sessions.is_closed(store, code)
    except CasebookError as exc:
        _fail(exc.message(lang), 1)
    code = sessions.normalise_code(code)
    if fmt == "json":
        _dump({"code": code, "closed": closed, "results": report})
        return
    if closed:
        click.echo(t("cli.results_closed", lang, code=code))
    catalogue = load_catalogue()
    for entry in report:
        click.secho(f"{entry['case']} · {t('live.round', lang, round=entry['round'])} · "
                    f"{t('live.voters', lang, count=entry['voters'])}", bold=True)
        for item in catalogue.items:
            count = entry["counts"][item.id]
            if count:
                click.echo(f"  {count:3}  {item.label_in(lang)}")


@session.command("purge")
@click.argument("code")
@click.pass_obj
def session_purge(obj, code):
    """Delete a session's participants and votes."""
    from casebook import sessions
    from casebook.store import open_store

    try:
        removed = sessions.purge(open_store(), code)
    except CasebookError as exc:
        _fail(exc.message(obj["language"]), 1)
    click.echo(t("cli.purged", obj["language"], code=sessions.normalise_code(code), **removed))


@session.command("report")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv"]), default="html", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write to this file (default: print).")
@click.pass_obj
def session_report(obj, code, fmt, out):
    """Counts, agreement, shift and the group against the key per case and round, with the
    intervision record for LVV registration."""
    from casebook.report_cli import report

    report(code, fmt, out, obj["language"])


@session.command("close")
@click.argument("code")
@click.pass_obj
def session_close(obj, code):
    """Keep the aggregates and the record; delete individual votes and pseudonyms."""
    from casebook.report_cli import close

    close(code, obj["language"])


if __name__ == "__main__":
    main()
