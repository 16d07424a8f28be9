"""The ``casework`` command: init, demo, serve, scheduler, user, export, backup,
restore, check, events.

The same commands run as ``flask --app casework.app <command>``: each is declared as a
``flask.commands`` entry point in pyproject.toml (the application never imports this module).
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from casework.config import ConfigError
from casework.core.roles import Role
from casework.core.runtime import settle_heap

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class CommandError(click.ClickException):
    """An operator error, printed as one line."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True)


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside an application context: the one ``flask --app …`` loads, or one
    created here."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return command(*args, **kwargs)
        with _application().app_context():
            return command(*args, **kwargs)

    return wrapper


def _application() -> Flask:
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and info.app_import_path:
        return info.load_app()
    from casework.app import create_app

    return create_app()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """casework — dossiers d'Accompagnement Québec."""


@cli.command("init")
@with_app
def init_command() -> None:
    """Create or upgrade the schema, then load the reference data from seed/."""
    try:
        run_init()
    except ValueError as error:  # SeedError: a seed file is missing or inconsistent
        raise CommandError(str(error)) from error


def run_init() -> None:
    from casework.plans.rules import load_rules
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    click.echo("Schéma : application des migrations…")
    revision = upgrade_schema()
    click.echo(f"Schéma à jour (révision {revision}).")
    report = load_reference_data(current_app.config["SEED_DIR"], progress=_progress)
    for name, (total, changed) in report.items():
        click.echo(f"  {name:<22} {total:>4} éléments, {changed} ajoutés ou modifiés")
    book = load_rules(current_app.config["SEED_DIR"])
    click.echo(f"  {'plan_rules':<22} {len(book.rules):>4} règles lues")


def _progress(label: str) -> None:
    click.echo(f"  … {label}")


@cli.command("demo")
@click.option(
    "--cases",
    type=click.IntRange(min=0, max=50_000),
    default=120,
    show_default=True,
    help="Number of demo cases, created only when the database has none yet.",
)
@click.option("--password", help="Password for every demo account (otherwise one is generated).")
@click.option(
    "--no-serve",
    is_flag=True,
    help="Load the data without starting the server and the scheduler.",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@with_app
def demo_command(cases: int, password: str | None, no_serve: bool, host: str, port: int) -> None:
    """init, then demo data and demo accounts; then the server and, in a second process, the
    scheduler (both stop on Ctrl+C), unless --no-serve."""
    from casework import demo
    from casework.auth.passwords import check_password_policy

    _demo_configuration(current_app.config)
    try:
        if password is not None:
            check_password_policy(password)
        run_init()
        accounts, password = demo.load_demo(password=password, progress=_progress)
        created = demo.load_demo_cases_once(cases, progress=_progress)
        codes = demo.enrol_second_factors(accounts)
    except ValueError as error:
        raise CommandError(str(error)) from error
    click.echo("")
    click.echo("Comptes de démonstration (mot de passe commun, affiché une seule fois) :")
    for account in accounts:
        click.echo(f"  {account.username:<12} {account.role_label} — {account.region.label}")
    click.echo(f"  Mot de passe : {password}")
    click.echo("")
    click.echo(
        "Deuxième facteur (TOTP) des comptes qui l'exigent, affiché une seule fois : ajoutez la "
        "clé à une application d'authentification (type « basé sur l'heure », 6 chiffres, 30 s)."
    )
    for username, secret in codes.items():
        click.echo(f"  {username:<12} {secret}")
    if current_app.config["SCANNING"] == "off":
        click.echo("")
        click.echo(
            "Analyse antivirus désactivée pour la démonstration : les documents joints sont "
            "marqués « non analysé » (CASEWORK_SCANNING=clamd pour l'activer)."
        )
    if created is None:
        click.echo("  Dossiers : la base en contient déjà ; aucun dossier de démonstration ajouté.")
    else:
        click.echo(f"  Dossiers de démonstration créés : {created}")
    if not no_serve:
        from casework.ops.processes import scheduler_beside

        with scheduler_beside() as scheduler:
            click.echo(f"Planificateur : processus {scheduler.pid}, arrêté avec le serveur.")
            # waitress returns on Ctrl+C once serving; an interrupt before that lands here.
            with contextlib.suppress(KeyboardInterrupt):
                serve_app(current_app._get_current_object(), host, port)
            click.echo("Arrêt du serveur et du planificateur.")


def _demo_configuration(config: dict) -> None:
    """The demo runs on a machine without clamd: scanning is off, explicitly and for the demo
    only, unless the operator asked for it (CASEWORK_SCANNING set)."""
    config["DEMO"] = True
    # Text messages to persons are written to a folder of the instance, never sent.
    if not os.environ.get("CASEWORK_SMS_DRIVER"):
        config["SMS_DRIVER"] = "file"
        os.environ["CASEWORK_SMS_DRIVER"] = "file"
    if not os.environ.get("CASEWORK_SCANNING"):
        config["SCANNING"] = "off"
        # The scheduler the demo starts beside the server reads the same setting.
        os.environ["CASEWORK_SCANNING"] = "off"


@cli.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@with_app
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the application with waitress (production WSGI server)."""
    serve_app(current_app._get_current_object(), host, port, threads)


def serve_app(app: Flask, host: str, port: int, threads: int = 8) -> None:
    from waitress import serve

    from casework.extensions import db

    # The command's own session may hold a transaction (on SQLite, the write lock): end it, or
    # every request would wait for a lock this thread never releases.
    db.session.remove()
    settle_heap()
    click.echo(f"casework : http://{host}:{port}/ (Ctrl+C pour arrêter)")
    from casework.attachments.operations import upload_request_limit

    # Waitress refuses a larger body from its headers (413), before reading it: a 2 GB upload
    # costs nothing. The application checks the same limit per request (Flask's 413).
    body_limit = max(app.config["MAX_CONTENT_LENGTH"], upload_request_limit(app.config))
    try:
        serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="casework",
            max_request_body_size=body_limit,
            # waitress drops X-Forwarded-For by default: behind nginx every client would be the
            # proxy's 127.0.0.1 (one throttle for everyone, /metrics open to all). The
            # application decides: ProxyFix trusts CASEWORK_TRUSTED_PROXIES hops, else none.
            clear_untrusted_proxy_headers=False,
        )
    except OSError as error:
        raise CommandError(f"impossible d'écouter sur {host}:{port} ({error.strerror}).") from error


def _job_names(_ctx, _param, value: tuple[str, ...]) -> tuple[str, ...]:
    from casework.scheduler import JOBS

    unknown = [name for name in value if name not in JOBS]
    if unknown:
        raise click.BadParameter(f"tâche inconnue « {unknown[0]} » (tâches : {', '.join(JOBS)})")
    return value


@cli.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once, then exit (for cron or a check).")
@click.option("--only", multiple=True, callback=_job_names, help="Run only this job (repeatable).")
@click.option("--skip", multiple=True, callback=_job_names, help="Leave this job out (repeatable).")
@with_app
def scheduler_command(once: bool, only: tuple[str, ...], skip: tuple[str, ...]) -> None:
    """Run the scheduler: reminders, e-mail, escalation, daily digest, retention, backup.

    One process of its own (never inside the web server); several may run at once.
    """
    from casework import scheduler
    from casework.core.db import wait_longer_for_locks
    from casework.extensions import db

    app = current_app._get_current_object()
    names = scheduler.selected(only, skip)
    # The jobs open their own sessions; this command's must not hold a transaction meanwhile.
    db.session.remove()
    wait_longer_for_locks(db.engine)
    if once:
        results = scheduler.run_once(app, names)
        for name, counts in results.items():
            summary = (
                "échec" if counts is None else ", ".join(f"{k} {v}" for k, v in counts.items())
            )
            click.echo(f"  {name:<12} {summary or 'rien à faire'}")
        if any(counts is None for counts in results.values()):
            raise CommandError("au moins une tâche a échoué ; voir le journal.")
        return
    click.echo("Planificateur démarré (fuseau America/Toronto). Ctrl+C pour arrêter.")
    # SIGTERM (systemd, `casework demo`) stops it like Ctrl+C: the running job finishes first.
    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    try:
        planned = scheduler.build_scheduler(app, names=names)
        settle_heap()
        planned.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Planificateur arrêté.")


def _stop_once(_signum: int, _frame: Any) -> None:
    # Once: Ctrl+C reaches the demo's whole group, then the demo sends its scheduler SIGTERM (a
    # group stopped by systemd or kill, SIGTERM twice); a second signal during the shutdown would
    # cut the running job short with a traceback. Not SIG_IGN: a signal already caught but not
    # yet handled would then raise « ignored due to race condition ».
    signal.signal(signal.SIGTERM, _already_stopping)
    signal.signal(signal.SIGINT, _already_stopping)
    raise SystemExit(0)


def _already_stopping(_signum: int, _frame: Any) -> None:
    """The scheduler is stopping: a further Ctrl+C or SIGTERM changes nothing."""


@cli.group("user")
def user_group() -> None:
    """Manage staff accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--region", "region_code", required=True, help="Region code, e.g. 06.")
@click.option("--service-point", "service_point_code", help="Service point code (staff roles).")
@click.option("--organisation", "organisation_code", help="Organisation code (partner role).")
@click.option("--email")
@click.option("--password", help="Initial password (otherwise a temporary one is generated).")
@with_app
def user_create(
    username: str,
    full_name: str,
    role: str,
    region_code: str,
    service_point_code: str | None,
    organisation_code: str | None,
    email: str | None,
    password: str | None,
) -> None:
    """Create an account."""
    from casework.auth import operations
    from casework.extensions import db
    from casework.reference.lookup import organisation_id, region_id, service_point_id

    try:
        fields = operations.AccountFields(
            username=username,
            full_name=full_name,
            email=email,
            role=role,
            region_id=region_id(region_code),
            service_point_id=service_point_id(service_point_code),
            organisation_id=organisation_id(organisation_code),
        )
        user, temporary = operations.create_user(None, fields, password=password)
    except (LookupError, ValueError) as error:
        raise CommandError(str(error).strip("'\"")) from error
    db.session.commit()
    click.echo(f"Compte {user.username} créé ({user.role_label}).")
    if temporary:
        click.echo(f"Mot de passe temporaire (à changer à la première connexion) : {temporary}")


@user_group.command("set-password")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (asked for when omitted).",
)
@with_app
def user_set_password(username: str, password: str) -> None:
    """Set an account's password."""
    from casework.auth import operations
    from casework.extensions import db

    user = _existing_user(username)
    try:
        operations.set_password(None, user, password)
    except ValueError as error:
        raise CommandError(str(error)) from error
    db.session.commit()
    click.echo(f"Mot de passe de {user.username} modifié ; ses sessions ouvertes sont fermées.")


@user_group.command("disable")
@click.argument("username")
@with_app
def user_disable(username: str) -> None:
    """Disable an account and close its sessions."""
    from casework.auth import operations
    from casework.extensions import db

    user = _existing_user(username)
    operations.set_active(None, user, active=False)
    db.session.commit()
    click.echo(f"Compte {user.username} désactivé.")


@user_group.command("reset-mfa")
@click.argument("username")
@with_app
def user_reset_mfa(username: str) -> None:
    """Remove an account's second factor (a lost phone, the last administrator): its sessions
    end, and its next sign-in sets up a new one."""
    from casework.auth import second_factor
    from casework.extensions import db

    user = _existing_user(username)
    second_factor.reset(None, user)
    db.session.commit()
    click.echo(
        f"Deuxième facteur de {user.username} réinitialisé ; ses sessions ouvertes sont fermées. "
        "Un nouveau sera configuré à la prochaine connexion."
    )


@cli.group("export")
def export_group() -> None:
    """Export data out of casework."""


@export_group.command("analytics")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace OUTPUT when it already exists.")
@with_app
def export_analytics(output: Path, force: bool) -> None:
    """Write the de-identified analytics extract (SQLite) to OUTPUT; see docs/analytics.md."""
    from casework.core import audit
    from casework.extensions import db
    from casework.reports.analytics import ExtractError, write_extract

    try:
        report = write_extract(output, force=force)
    except ExtractError as error:
        raise CommandError(str(error)) from error
    except OSError as error:
        raise CommandError(f"écriture impossible : {output} ({error.strerror}).") from error
    # The trail keeps the fact and the counts; the path is the operator's business, not data.
    audit.record(None, "export.analytics", target_type="analytics", tables=report.tables)
    db.session.commit()
    click.echo(f"Extrait anonymisé écrit : {report.path}")
    for name, count in report.tables.items():
        click.echo(f"  {name:<40} {count:>7} lignes")
    click.echo(f"  Cellules de moins de 5 masquées : {report.suppressed_cells}")


@cli.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the backup in (default: CASEWORK_BACKUP_DIR).",
)
@with_app
def backup_command(output: Path | None) -> None:
    """Take a consistent online backup (SQLite backup API, or pg_dump), mode 0600."""
    from casework.ops.backup import BackupError, take_backup

    try:
        backup = take_backup(output)
    except BackupError as error:
        raise CommandError(str(error)) from error
    click.echo(
        f"Sauvegarde écrite : {backup.path} ({backup.size} octets, révision {backup.revision}, "
        f"{backup.seconds:.1f} s)"
    )


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
@with_app
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup, migrate it to the current schema and check its integrity.

    Stop the web server and the scheduler first.
    """
    from casework.ops.backup import BackupError
    from casework.ops.restore import restore

    try:
        restored = restore(path, force=force)
    except BackupError as error:
        raise CommandError(str(error)) from error
    click.echo(
        f"Restaurée : révision {restored.backup_revision} → {restored.revision}, "
        f"intégrité vérifiée ({restored.seconds:.1f} s)"
    )


@cli.command("check")
@click.option("--smtp", is_flag=True, help="Also check that the SMTP server answers.")
@with_app
def check_command(smtp: bool) -> None:
    """Health report for operators: one line per check; exits 1 on any failure."""
    from casework.ops.check import run_checks

    results = run_checks(smtp=smtp)
    for result in results:
        click.echo(result.line())
    failed = sum(not result.ok for result in results)
    if failed:
        raise CommandError(f"{failed} vérification(s) en échec.")


def _existing_user(username: str):
    from casework.auth import operations

    user = operations.find_user(username)
    if user is None:
        raise CommandError(f"aucun compte « {username} ».")
    return user


@cli.command("dashboard-aggregates")
@click.option(
    "--rebuild", is_flag=True, help="Recount every aggregate from the data first, then check."
)
@with_app
def dashboard_aggregates_command(rebuild: bool) -> None:
    """Check the dashboard's and the indicators' aggregates against a full recount; exits 1 on
    any difference (--rebuild recounts them first, after a bulk load or a restore)."""
    from sqlalchemy.exc import InvalidRequestError

    from casework.extensions import db
    from casework.reports import aggregates

    if rebuild:
        counts = aggregates.rebuild()
        db.session.commit()
        for name, count in counts.items():
            click.echo(f"  {name:<20} {count:>9} lignes recomptées")
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        # One snapshot for the stored rows and the recount, whatever commits meanwhile.
        # (Not on a connection already inside its caller's transaction: the tests'.)
        with contextlib.suppress(InvalidRequestError):
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    found = aggregates.differences()
    db.session.rollback()
    for difference in found[:50]:
        click.echo(difference.line())
    if found:
        raise CommandError(
            f"{len(found)} différence(s) entre les agrégats des rapports et un recomptage "
            "complet ; « casework dashboard-aggregates --rebuild » les recompte."
        )
    click.echo("Agrégats des rapports conformes à un recomptage complet.")


@cli.command("events")
@with_app
def events_command() -> None:
    """List who listens to which domain event, and who adds to which extension point."""
    from casework.core.events import wiring

    kind = ""
    for line in wiring():
        if line.kind != kind:
            kind = line.kind
            title = "Événements → écouteurs" if kind == "event" else "Points d'extension → ajouts"
            click.echo(title)
        click.echo(f"  {line.target:<45} {line.listener}")


def main() -> None:
    try:
        cli.main(prog_name="casework", standalone_mode=True)
    except ConfigError as error:
        click.echo(f"Erreur : {error}", err=True)
        sys.exit(2)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "connexion refusée"
        click.echo(f"Erreur : base de données inaccessible ({reason}).", err=True)
        sys.exit(1)
    except SQLAlchemyError as error:
        click.echo(f"Erreur de base de données : {error.__class__.__name__}.", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
