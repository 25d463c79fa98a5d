"""The operator's and the scripts' commands: `flask --app wsgi <group> <command>`.

Each command parses its arguments, calls one service, prints a summary and
exits non-zero with a clear message on error.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext

from app.db import get_engine, get_session
from app.domain.analysis import Participation
from app.domain.blueprints import EXAM_KINDS, format_score
from app.domain.papers import InfeasibleBlueprint
from app.domain.people import Role, parse_roles
from app.domain.sheets import field_for
from app.messages import (
    describe,
    describe_bank_error,
    describe_cell,
    describe_shortfall,
    message_for,
)
from app.services import (
    accounts,
    bank_io,
    bank_sheets,
    blueprints,
    delivery,
    demo,
    exams,
    exports,
    hr_reports,
    roster,
)
from app.services.errors import ServiceError
from app.services.reports import Scope
from app.timeutil import parse_when, utcnow

db_cli = AppGroup("db", help="Database schema.")
user_cli = AppGroup("user", help="Login accounts.")
roster_cli = AppGroup("roster", help="The cadre roster.")
bank_cli = AppGroup("bank", help="The question bank.")
blueprint_cli = AppGroup("blueprint", help="Paper blueprints.")
paper_cli = AppGroup("paper", help="Papers drawn from blueprints.")
exam_cli = AppGroup("exam", help="Exam sessions.")
report_cli = AppGroup("report", help="Participation and pass-rate reports.")


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (or to --revision)."""
    from app.migrate import current_revision, upgrade

    engine = get_engine()
    upgrade(engine, revision)
    click.echo(
        gettext(
            "Database at revision %(revision)s (%(url)s).",
            revision=current_revision(engine),
            url=engine.url.render_as_string(),
        )
    )


@db_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Write a consistent backup of the database to TARGET (SQLite copy or pg_dump)."""
    from flask import current_app

    from app.services.backup import backup

    try:
        backup(current_app.config["DATABASE_URL"], target)
    except ServiceError as error:
        raise fail(describe(error)) from None
    click.echo(gettext("Backup written to %(path)s.", path=target))


@db_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def db_restore(source: Path) -> None:
    """Load a backup into the configured database, which must be new and empty."""
    from flask import current_app

    from app.services.backup import restore

    try:
        restore(current_app.config["DATABASE_URL"], source)
    except ServiceError as error:
        raise fail(describe(error)) from None
    click.echo(gettext("Backup %(path)s restored.", path=source))


@user_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="candidate, examiner, hr or admin; repeat for several.",
)
@click.option("--name", default="", help="Display name.")
@click.option("--cadre", "staff_no", default=None, help="Staff number of the linked cadre.")
@click.option("--password", default=None, help="Password; prompted for when omitted.")
def user_create(
    username: str, roles: tuple[str, ...], name: str, staff_no: str | None, password: str | None
) -> None:
    """Create a login account."""
    known, unknown = parse_roles(list(roles))
    if unknown:
        known_roles = ", ".join(r.value for r in Role)
        raise fail(
            gettext(
                "Unknown role %(roles)s: use %(known)s.",
                roles=", ".join(unknown),
                known=known_roles,
            )
        )
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, _ = accounts.create_user(
            get_session(),
            None,
            username,
            known,
            display_name=name,
            cadre_staff_no=staff_no,
            password=password,
        )
    except ServiceError as error:
        raise fail(describe(error)) from None
    roles_text = ", ".join(sorted(r.value for r in known))
    click.echo(
        gettext(
            "Created user %(username)s (roles: %(roles)s).",
            username=user.username,
            roles=roles_text,
        )
    )


@user_cli.command("password")
@click.argument("username")
@click.option("--password", default=None, help="New password; prompted for when omitted.")
def user_password(username: str, password: str | None) -> None:
    """Set a user's password."""
    session = get_session()
    user = accounts.find_user(session, username)
    if user is None:
        raise fail(gettext("No user is named %(username)s.", username=username))
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(session, None, user, password)
    except ServiceError as error:
        raise fail(describe(error)) from None
    click.echo(gettext("The password of %(username)s was changed.", username=username))


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--passwords-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the new accounts' initial passwords (CSV).",
)
def roster_import(file: Path, passwords_out: Path | None) -> None:
    """Import cadres from a CSV or XLSX roster; any bad row imports nothing."""
    session = get_session()
    try:
        parsed = roster.parse_roster_file(file.name, file.read_bytes())
        result = roster.import_roster(session, None, parsed, file.name)
    except roster.RosterRejected as error:
        for row_error in error.errors:
            click.echo(f"{file}: {describe_cell(row_error)}", err=True)
        raise fail(
            gettext(
                "%(count)s problems in %(file)s; nothing was imported.",
                count=len(error.errors),
                file=file,
            )
        ) from None
    except ServiceError as error:
        raise fail(f"{file}: {describe(error)}") from None
    click.echo(
        gettext(
            "%(created)s cadres added, %(updated)s updated, %(unchanged)s unchanged; "
            "%(accounts)s candidate accounts created.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            accounts=len(result.credentials),
        )
    )
    if result.units_created:
        click.echo(gettext("New units: %(units)s", units="、".join(result.units_created)))
    if result.credentials:
        from flask import current_app

        target = passwords_out or Path(current_app.config["INSTANCE_DIR"]) / (
            f"roster-passwords-{utcnow():%Y%m%d-%H%M%S}.csv"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(result.credentials_csv())
        target.chmod(0o600)
        click.echo(gettext("Initial passwords written to %(path)s", path=target))


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo units, cadres and one account per role (safe to run again)."""
    from flask import current_app

    session = get_session()
    logins = demo.load_demo(session)
    try:
        report = demo.load_demo_bank(session, Path(current_app.config["QUESTION_BANK_DIR"]))
    except bank_io.BankRejected as error:
        _print_bank_errors(error.errors)
        raise fail(
            gettext("%(count)s problems found; nothing was imported.", count=len(error.errors))
        ) from None
    click.echo(
        gettext(
            "%(added)s added, %(new_version)s new versions, %(unchanged)s unchanged, "
            "%(retired)s retired; %(needs_review)s need review.",
            **report.counts(),
        )
    )
    for exam in demo.open_demo_exams(session):
        click.echo(gettext("Opened exam %(id)s: %(title)s", id=exam.id, title=exam.title))
    history = demo.load_demo_history(session, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if history.exams_opened:
        click.echo(
            gettext(
                "Past exams for the reports: %(exams)s; %(attempts)s graded attempts, "
                "%(cases)s pre-appointment cases.",
                exams="、".join(history.exams_opened),
                attempts=history.attempts,
                cases=history.cases,
            )
        )
    click.echo(gettext("Demo logins (role, username, password):"))
    for login in logins:
        note = "" if login.created else "  " + gettext("(already present; password unchanged)")
        click.echo(f"  {login.role.value:<10} {login.username:<10} {login.password}{note}")
    if history.scoped_login is not None:
        scoped = history.scoped_login
        click.echo(
            gettext(
                "HR account limited to %(unit)s: %(username)s / %(password)s",
                unit=history.scoped_unit,
                username=scoped.username,
                password=scoped.password,
            )
        )


def _bank_paths(paths: tuple[Path, ...]) -> list[Path]:
    from flask import current_app

    return list(paths) or [Path(current_app.config["QUESTION_BANK_DIR"])]


def _print_bank_errors(errors: list) -> None:
    for error in errors:
        click.echo(describe_bank_error(error), err=True)


@bank_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def bank_validate(paths: tuple[Path, ...]) -> None:
    """Check bank files (default: QUESTION_BANK_DIR); list every error as file:line."""
    from app.domain.bank import summary

    bank = bank_io.read_bank(_bank_paths(paths))
    if bank.errors:
        _print_bank_errors(bank.errors)
        raise fail(gettext("%(count)s problems found.", count=len(bank.errors)))
    counts = summary(bank.questions)
    click.echo(
        gettext(
            "%(questions)s questions on %(laws)s laws: the bank is valid.",
            questions=len(bank.questions),
            laws=len(bank.laws),
        )
    )
    for heading, key in (
        (gettext("By topic"), "topic"),
        (gettext("By type"), "type"),
        (gettext("By law"), "law"),
        (gettext("By difficulty"), "difficulty"),
        (gettext("By status"), "status"),
    ):
        click.echo(f"{heading}:")
        for name, number in sorted(counts[key].items(), key=lambda item: str(item[0])):
            click.echo(f"  {name}: {number}")


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    """--map FIELD=COLUMN values as {field: column}; a bad one stops the command."""
    mapping: dict[str, str] = {}
    for value in values:
        name, equals, column = value.partition("=")
        if not equals or not name.strip() or not column.strip():
            raise fail(message_for("sheet_bad_map", {"value": value}))
        field_name = field_for(name)
        if field_name is None:
            raise fail(message_for("sheet_unknown_field", {"field": name.strip()}))
        mapping[field_name] = column.strip()
    return mapping


@bank_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option(
    "--retire-missing",
    is_flag=True,
    help="Retire questions that are in the database but not in these files.",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Spreadsheets: read FIELD (a template header such as 题干, or a field name such as "
    "stem) from the column headed COLUMN; repeat for several.",
)
@click.option(
    "--topic",
    default=None,
    help="Spreadsheets: the topic of rows that have none (default: the file name).",
)
@click.option(
    "--id-prefix",
    default=None,
    help="Spreadsheets: ids for rows without one are PREFIX-<row> (default: from the file name).",
)
def bank_import(
    paths: tuple[Path, ...],
    dry_run: bool,
    retire_missing: bool,
    mappings: tuple[str, ...],
    topic: str | None,
    id_prefix: str | None,
) -> None:
    """Import the bank (default: QUESTION_BANK_DIR) or spreadsheets (.xlsx, .csv): all or
    nothing, versioned, idempotent."""
    mapping = _parse_map(mappings)
    bank_paths = _bank_paths(paths)
    sheet_paths = [path for path in bank_paths if bank_sheets.is_sheet(path)]
    session = get_session()
    if sheet_paths:
        if len(sheet_paths) != len(bank_paths):
            raise fail(message_for("sheet_mixed_paths"))
        if id_prefix and len(sheet_paths) > 1:
            raise fail(message_for("sheet_id_prefix_one_file"))
        bank = bank_sheets.read_sheet_files(
            session, sheet_paths, mapping=mapping, topic=topic, id_prefix=id_prefix
        )
    else:
        bank = bank_io.read_bank(bank_paths)
    try:
        report = bank_io.import_bank(
            session,
            None,
            bank,
            retire_missing=retire_missing,
            dry_run=dry_run,
            source=",".join(map(str, bank_paths)),
        )
    except bank_io.BankRejected as error:
        _print_bank_errors(error.errors)
        raise fail(
            gettext("%(count)s problems found; nothing was imported.", count=len(error.errors))
        ) from None
    counts = report.counts()
    prefix = gettext("Dry run, nothing changed: ") if dry_run else ""
    click.echo(
        prefix
        + gettext(
            "%(added)s added, %(new_version)s new versions, %(unchanged)s unchanged, "
            "%(retired)s retired; %(needs_review)s need review.",
            **counts,
        )
    )
    drafts = sum(question.status == "draft" for question in bank.questions)
    if sheet_paths and drafts:
        click.echo(
            gettext(
                "%(drafts)s of the %(count)s questions are drafts (no law cited): "
                "they reach papers once an examiner approves them.",
                drafts=drafts,
                count=len(bank.questions),
            )
        )


@bank_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the bank as one spreadsheet (the import template) to this .xlsx file.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the bank as one CSV file (UTF-8 with BOM, the import template).",
)
def bank_export(directory: Path, xlsx_file: Path | None, csv_file: Path | None) -> None:
    """Write laws.yaml and one YAML file per topic into DIRECTORY; --xlsx/--csv add a sheet."""
    session = get_session()
    written = bank_io.export_bank(session, directory)
    click.echo(gettext("%(count)s files written to %(path)s.", count=len(written), path=directory))
    for fmt, target in (("xlsx", xlsx_file), ("csv", csv_file)):
        if target is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bank_sheets.export_sheet(session, fmt))
        click.echo(gettext("Spreadsheet written to %(path)s.", path=target))


def _echo_shortfalls(shortfalls: list) -> None:
    for shortfall in shortfalls:
        click.echo(describe_shortfall(shortfall), err=True)


@blueprint_cli.command("check")
@click.argument("blueprint_id")
@click.option("--papers", default=1000, show_default=True, help="Papers to draw.")
def blueprint_check(blueprint_id: str, papers: int) -> None:
    """Report whether BLUEPRINT_ID can make papers, and how fair they are."""
    session = get_session()
    try:
        blueprint = blueprints.get_blueprint(session, blueprint_id)
    except ServiceError as error:
        raise fail(describe(error)) from None
    shortfalls = blueprints.feasibility(session, blueprint)
    if shortfalls:
        _echo_shortfalls(shortfalls)
        raise fail(
            gettext("%(id)s cannot make a full paper from the approved questions.", id=blueprint_id)
        )
    report = blueprints.fairness(session, blueprint, papers)
    low, mean, high, spread = report.mean_difficulty
    click.echo(
        gettext(
            "%(id)s: feasible; %(count)s questions, %(total)s points, pass %(pass)s.",
            id=blueprint_id,
            count=blueprint.question_count,
            total=format_score(blueprint.max_score),
            **{"pass": format_score(blueprint.pass_score)},
        )
    )
    click.echo(
        gettext(
            "Mean difficulty over %(papers)s papers: min %(low).2f, mean %(mean).2f, "
            "max %(high).2f, standard deviation %(spread).3f.",
            papers=report.papers,
            low=low,
            mean=mean,
            high=high,
            spread=spread,
        )
    )
    click.echo(
        gettext(
            "Exposure: %(used)s of %(pool)s eligible questions used; the most used is in "
            "%(max).1f%% of papers, the median in %(median).1f%%; %(never)s never drawn.",
            used=report.used,
            pool=report.pool_size,
            max=report.exposure_max * 100,
            median=report.exposure_median * 100,
            never=report.never_drawn,
        )
    )


@paper_cli.command("draw")
@click.argument("blueprint_id")
@click.option("--seed", type=int, required=True, help="The seed; the same seed, the same paper.")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
def paper_draw(blueprint_id: str, seed: int, as_json: bool) -> None:
    """Draw the paper BLUEPRINT_ID gives for --seed."""
    import json

    session = get_session()
    try:
        paper = blueprints.draw(session, blueprint_id, seed)
    except InfeasibleBlueprint as error:
        _echo_shortfalls(error.shortfalls)
        raise fail(
            gettext("%(id)s cannot make a full paper from the approved questions.", id=blueprint_id)
        ) from None
    except ServiceError as error:
        raise fail(describe(error)) from None
    if as_json:
        click.echo(json.dumps(blueprints.paper_json(paper), ensure_ascii=False, indent=2))
        return
    position = 0
    for section in paper.sections:
        click.echo(f"{section.title} ({section.type}, {format_score(section.points)})")
        for item in section.items:
            position += 1
            order = "".join(item.option_order)
            click.echo(f"  {position:>3}. {item.question_id} v{item.version} {order}")


@exam_cli.command("open")
@click.argument("blueprint_id")
@click.option("--title", required=True)
@click.option("--kind", required=True, type=click.Choice(EXAM_KINDS))
@click.option("--opens", "opens", required=True, help="ISO time; without an offset it is local.")
@click.option("--closes", "closes", required=True, help="ISO time; without an offset it is local.")
@click.option("--all", "everyone", is_flag=True, help="Every cadre on the roster.")
@click.option("--unit", "units", multiple=True, help="A unit (name or path) and its subunits.")
@click.option("--cadre", "staff_nos", multiple=True, help="A staff number.")
@click.option("--category", "categories", multiple=True, help="Only cadres of this category.")
@click.option("--rank", "ranks", multiple=True, help="Only cadres of this rank.")
@click.option("--time-limit", "time_limit", type=int, default=None, help="Minutes.")
@click.option("--attempts", "attempts", type=int, default=1, show_default=True)
@click.option(
    "--review",
    "review",
    type=click.Choice(exams.REVIEW_POLICIES),
    default="after_submit",
    show_default=True,
)
@click.option(
    "--original",
    "original",
    type=int,
    default=None,
    help="For a make-up: the exam it makes up for.",
)
def exam_open(
    blueprint_id: str,
    title: str,
    kind: str,
    opens: str,
    closes: str,
    everyone: bool,
    units: tuple[str, ...],
    staff_nos: tuple[str, ...],
    categories: tuple[str, ...],
    ranks: tuple[str, ...],
    time_limit: int | None,
    attempts: int,
    review: str,
    original: int | None,
) -> None:
    """Open an exam from BLUEPRINT_ID and print its id."""
    from flask import current_app

    from app.domain.people import parse_category
    from app.services.units import find_unit_by_label

    session = get_session()
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    try:
        opens_at, closes_at = parse_when(opens, zone), parse_when(closes, zone)
    except ValueError as error:
        raise fail(gettext("Not a date and time: %(value)s", value=str(error))) from None
    if not (everyone or units or staff_nos or categories or ranks or kind == "make_up"):
        raise fail(gettext("Say who may sit: --all, --unit, --cadre, --category or --rank."))
    parsed_categories = []
    for text in categories:
        category = parse_category(text)
        if category is None:
            raise fail(message_for("unknown_category", {"value": text}))
        parsed_categories.append(category.value)
    try:
        unit_ids = tuple(find_unit_by_label(session, label).id for label in units)
        rule = exams.EligibilityRule(everyone, unit_ids, tuple(parsed_categories), ranks, staff_nos)
        exam = exams.open_exam(
            session,
            None,
            exams.ExamRequest(
                blueprint_id=blueprint_id,
                title=title,
                kind=kind,
                opens_at=opens_at,
                closes_at=closes_at,
                rule=rule,
                time_limit_minutes=time_limit,
                attempts_allowed=attempts,
                review_policy=review,
                original_exam_id=original,
            ),
        )
    except exams.BlueprintInfeasible as error:
        _echo_shortfalls(error.shortfalls)
        raise fail(
            gettext("%(id)s cannot make a full paper from the approved questions.", id=blueprint_id)
        ) from None
    except ServiceError as error:
        raise fail(describe(error)) from None
    click.echo(exam.id)


@exam_cli.command("close-expired")
def exam_close_expired() -> None:
    """Close and grade every attempt whose deadline and grace have passed."""
    from flask import current_app

    closed = delivery.close_expired(get_session(), current_app.config["SAVE_GRACE_SECONDS"])
    click.echo(gettext("%(count)s expired attempts closed and graded.", count=closed))


def _score_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _verdict(passed: bool) -> str:
    return gettext("passed") if passed else gettext("failed")


@exam_cli.command("regrade")
@click.argument("exam_id", type=int)
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
def exam_regrade(exam_id: int, dry_run: bool) -> None:
    """Grade EXAM_ID's finished attempts again with each question's current key."""
    session = get_session()
    try:
        exam = exams.get_exam(session, exam_id)
        changes = delivery.regrade_exam(session, None, exam, dry_run=dry_run)
    except ServiceError as error:
        raise fail(describe(error)) from None
    for change in changes:
        verdict = _verdict(change.new_passed)
        if change.old_passed != change.new_passed:
            verdict = f"{_verdict(change.old_passed)} -> {verdict}"
        click.echo(
            f"  {change.staff_no} {change.name}: "
            f"{_score_text(change.old_score)} -> {_score_text(change.new_score)} ({verdict})"
        )
    flips = sum(change.old_passed != change.new_passed for change in changes)
    if dry_run:
        summary = gettext(
            "Dry run, nothing changed: %(changed)s attempts of exam %(id)s would get a new "
            "score; %(flips)s of them would change between pass and fail.",
            changed=len(changes),
            id=exam.id,
            flips=flips,
        )
    else:
        summary = gettext(
            "%(changed)s attempts of exam %(id)s regraded; %(flips)s of them changed between "
            "pass and fail.",
            changed=len(changes),
            id=exam.id,
            flips=flips,
        )
    click.echo(summary)


# ---- reports ------------------------------------------------------------------------------


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: object, width: int, right: bool = False) -> str:
    value = str(text)
    padding = " " * max(width - _width(value), 0)
    return padding + value if right else value + padding


def _rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _echo_figures(rows: list[tuple[str, Participation]], first: str) -> None:
    label_width = max([_width(first)] + [_width(label) for label, _ in rows]) + 2
    headers = [
        gettext("Eligible"),
        gettext("Sat"),
        gettext("Participation rate"),
        gettext("Passed"),
        gettext("Pass rate"),
        gettext("Mean score"),
    ]
    widths = [max(_width(h), 7) + 2 for h in headers]
    click.echo(
        _cell(first, label_width)
        + "".join(_cell(h, w, right=True) for h, w in zip(headers, widths, strict=True))
    )
    for label, p in rows:
        mean = "—" if p.mean_score is None else f"{p.mean_score:.1f}"
        values = [p.eligible, p.sat, _rate_text(p.participation_rate), p.passed]
        values += [_rate_text(p.pass_rate), mean]
        click.echo(
            _cell(label, label_width)
            + "".join(_cell(v, w, right=True) for v, w in zip(values, widths, strict=True))
        )


def _echo_report(report: hr_reports.Report) -> None:
    from app.web.labels import CATEGORY_LABELS

    scope = report.scope.unit.name if report.scope.unit is not None else gettext("All units")
    click.echo(f"{report.title} · {scope}")
    t = report.total
    click.echo(
        gettext(
            "Eligible %(eligible)s, sat %(sat)s (participation %(prate)s), passed %(passed)s "
            "(pass rate %(rate)s), mean score %(mean)s.",
            eligible=t.eligible,
            sat=t.sat,
            prate=_rate_text(t.participation_rate),
            passed=t.passed,
            rate=_rate_text(t.pass_rate),
            mean="—" if t.mean_score is None else f"{t.mean_score:.1f}",
        )
    )
    if report.total_with_make_ups is not None:
        m = report.total_with_make_ups
        click.echo(
            gettext(
                "With its make-ups: sat %(sat)s, passed %(passed)s (pass rate %(rate)s).",
                sat=m.sat,
                passed=m.passed,
                rate=_rate_text(m.pass_rate),
            )
        )
    if report.exam_lines:
        click.echo("")
        _echo_figures([(line.exam.title, line.figures) for line in report.exam_lines], "")
    top = report.units[0].depth if report.units else 0
    click.echo("")
    _echo_figures(
        [("  " * (line.depth - top) + line.unit.name, line.total) for line in report.units],
        gettext("Unit"),
    )
    click.echo("")
    _echo_figures(
        [(str(CATEGORY_LABELS.get(code, code)), p) for code, p in report.by_category],
        gettext("Category"),
    )
    click.echo("")
    _echo_figures([(rank or "—", p) for rank, p in report.by_rank], gettext("Rank"))
    click.echo("")
    click.echo(gettext("Absentees: %(count)s", count=len(report.absentees)))


def _report_scope(unit_label: str | None) -> Scope:
    from app.services.units import find_unit_by_label

    if not unit_label:
        return Scope()
    return Scope(find_unit_by_label(get_session(), unit_label))


def _write_xlsx(sheets: list, target: Path) -> None:
    target.write_bytes(exports.xlsx_bytes(sheets))
    click.echo(gettext("Written to %(path)s", path=target))


@report_cli.command("exam")
@click.argument("exam_id", type=int)
@click.option("--unit", "unit_label", default=None, help="Only this unit (name or path).")
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as an XLSX workbook.",
)
def report_exam(exam_id: int, unit_label: str | None, xlsx_file: Path | None) -> None:
    """Participation and pass rates of EXAM_ID, by unit, category and rank."""
    session = get_session()
    try:
        scope = _report_scope(unit_label)
        exam = hr_reports.visible_exam(session, exam_id, scope)
        report = hr_reports.exam_report(session, exam, scope)
    except ServiceError as error:
        raise fail(describe(error)) from None
    _echo_report(report)
    if xlsx_file is not None:
        _write_xlsx(exports.report_sheets(report), xlsx_file)


@report_cli.command("year")
@click.argument("year", type=int)
@click.option("--unit", "unit_label", default=None, help="Only this unit (name or path).")
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as an XLSX workbook.",
)
def report_year(year: int, unit_label: str | None, xlsx_file: Path | None) -> None:
    """The annual exams opened in YEAR, a pass in a make-up counting for its exam."""
    from flask import current_app

    session = get_session()
    try:
        scope = _report_scope(unit_label)
        report = hr_reports.year_report(
            session, year, scope, current_app.config["BABEL_DEFAULT_TIMEZONE"]
        )
    except ServiceError as error:
        raise fail(describe(error)) from None
    if not report.exams:
        raise fail(gettext("No annual exam opened in %(year)s.", year=year))
    _echo_report(report)
    if xlsx_file is not None:
        _write_xlsx(exports.report_sheets(report, year=True), xlsx_file)


def register(app: Flask) -> None:
    for command in (
        db_cli,
        user_cli,
        roster_cli,
        bank_cli,
        blueprint_cli,
        paper_cli,
        exam_cli,
        report_cli,
        demo_command,
    ):
        app.cli.add_command(command)
