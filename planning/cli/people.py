"""The people and access commands: add-person, set-password and token."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from planning.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Context,
    Group,
    UsageError,
    active_person,
    arg,
    day,
    fail,
    table_or_json,
)
from planning.cli.tables import grid
from planning.i18n import N_, pgettext
from planning.i18n import gettext as _
from planning.store.engine import read_engine

GROUP = Group()

# A role as the command line names it (settings and --role use the ids).
ROLE_WORDS = {"director": N_("director"), "member": N_("member"), "stakeholder": N_("stakeholder")}


@GROUP.command(
    "add-person",
    N_("Add someone to the team, e.g. the first director of a store without demo data."),
    arg("--name", required=True, help=N_("the person's full name")),
    arg("--email", required=True, help=N_("the email they sign in with")),
    arg(
        "--role",
        choices=["director", "member", "stakeholder"],
        default="member",
        help=N_("what they may change (default: member)"),
    ),
    arg("--title", default="", help=N_("job title, shown beside their name")),
    arg("--hours", type=float, default=None, help=N_("weekly hours (default: capacity setting)")),
    arg("--bau", type=float, default=0.3, help=N_("business-as-usual share, 0 to 1 (default 0.3)")),
)
def run_add_person(args: argparse.Namespace, context: Context) -> int:
    """Create a person as the command line (no acting person)."""
    from planning.access.people import create_person
    from planning.store.engine import session_scope
    from planning.store.models import PersonCreate
    from planning.validation import InputError

    hours = args.hours
    if hours is None:
        hours = context.config.settings.capacity.hours_per_person_week
    draft = PersonCreate.model_construct(
        name=args.name,
        email=args.email,
        role=args.role,
        title=args.title,
        weekly_hours=hours,
        bau_share=args.bau,
        active=True,
    )
    try:
        with session_scope(context.engine) as session:
            person = create_person(session=session, actor=None, person=draft)
    except InputError as exc:
        return fail("; ".join(exc.problems) + _("; nobody was added"), EXIT_REFUSED)
    print(
        _("added {name} <{email}> as {role} (id {id})").format(
            name=person.name,
            email=person.email,
            role=_(ROLE_WORDS[person.role.value]),
            id=person.id,
        )
    )
    return EXIT_OK


@GROUP.command(
    "set-password",
    N_(
        "Set or reset someone's password for password sign-in (auth.mode: password). It is asked "
        "for twice, or read as one line from standard input with --stdin; only its Argon2 hash is "
        "stored, and the person's open sign-ins end."
    ),
    arg("email", help=N_("the person's email (any case)")),
    arg("--stdin", action="store_true", help=N_("read the password from standard input")),
)
def run_set_password(args: argparse.Namespace, context: Context) -> int:
    """Set a password as the command line (no acting person)."""
    import getpass

    from planning.access.people import find_active_person, set_password
    from planning.store.engine import session_scope
    from planning.validation import InputError

    with Session(read_engine(context.engine)) as session:
        person = find_active_person(session=session, email=args.email)
    if person is None:
        return fail(
            _("no active person has the email {email}").format(email=repr(args.email)),
            EXIT_REFUSED,
        )
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(_("New password for {email}: ").format(email=person.email))
        if getpass.getpass(_("Repeat it: ")) != password:
            return fail(_("the two passwords differ; nothing was changed"), EXIT_REFUSED)
    try:
        with session_scope(context.engine) as session:
            set_password(
                session=session,
                actor=None,
                person_id=person.id,
                password=password,
                settings=context.config.settings.auth,
            )
    except InputError as exc:
        return fail("; ".join(exc.problems) + _("; nothing was changed"), EXIT_REFUSED)
    print(_("password set for {name} <{email}>").format(name=person.name, email=person.email))
    return EXIT_OK


@GROUP.command(
    "token",
    N_(
        "Create, list or revoke bearer tokens for the HTTP API (/api/v1). A new token is printed "
        "once, alone on stdout, and only its SHA-256 is stored."
    ),
    arg("action", choices=["create", "list", "revoke"], help=N_("what to do")),
    arg(
        "id", nargs="?", type=int, metavar="ID", help=N_("revoke: the token's id (see token list)")
    ),
    arg("--name", metavar="NAME", help=N_("create: who or what uses the token, e.g. nightly-etl")),
    arg(
        "--scope",
        action="append",
        metavar="SCOPE",
        help=N_(
            "create: write:observations (POST /api/v1/observations) or read:okrs "
            "(GET /api/v1/okrs); repeat for both"
        ),
    ),
    arg(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help=N_("create, revoke: the director doing it (default: the command line, no person)"),
    ),
    table_or_json(N_("list: an aligned table (default) or JSON")),
)
def run_token(args: argparse.Namespace, context: Context) -> int:
    """Create, list or revoke API tokens."""
    from planning.access.api_tokens import TokenError, create_token, list_tokens, revoke_token
    from planning.access.permissions import PermissionDenied
    from planning.store.engine import session_scope

    if args.action != "create" and (args.name is not None or args.scope):
        raise UsageError(_("--name and --scope only apply to token create"))
    if args.action != "revoke" and args.id is not None:
        raise UsageError(_("token {action} takes no ID").format(action=args.action))
    if args.action == "list":
        if args.actor is not None:
            raise UsageError(_("--as only applies to token create and token revoke"))
        with Session(read_engine(context.engine)) as session:
            tokens = list_tokens(session=session)
        return _print_tokens(tokens, args.format)
    if args.format != "table":
        raise UsageError(_("--format only applies to token list"))
    if args.action == "create" and (args.name is None or not args.scope):
        raise UsageError(_("token create needs --name NAME and at least one --scope SCOPE"))
    if args.action == "revoke" and args.id is None:
        raise UsageError(_("token revoke needs the token's ID (see token list)"))
    try:
        with session_scope(context.engine) as session:
            actor = None if args.actor is None else active_person(session, args.actor)
            if args.action == "create":
                scopes = [s for given in args.scope for s in given.replace(",", " ").split()]
                created = create_token(session=session, actor=actor, name=args.name, scopes=scopes)
            else:
                revoked = revoke_token(session=session, actor=actor, token_id=args.id)
    except TokenError as exc:
        return fail(str(exc), EXIT_REFUSED)
    except PermissionDenied as exc:
        return fail(str(exc), EXIT_REFUSED)
    if args.action == "create":
        info = created.token
        print(created.secret)
        print(
            _(
                "created API token {id} ({name}) with {scopes}; store it now, it is not shown again"
            ).format(id=info.id, name=info.name, scopes=" ".join(info.scopes)),
            file=sys.stderr,
        )
    else:
        print(_("revoked API token {id} ({name})").format(id=revoked.id, name=revoked.name))
    return EXIT_OK


def _print_tokens(tokens: Sequence[Any], output: str) -> int:
    def moment(value: Any) -> str | None:
        return None if value is None else value.isoformat(timespec="seconds")

    items = [
        {
            "id": t.id,
            "name": t.name,
            "scopes": list(t.scopes),
            "created_by": t.created_by_name,
            "created_at": moment(t.created_at),
            "last_used_at": moment(t.last_used_at),
            "revoked_at": moment(t.revoked_at),
            "lapsed": t.lapsed,
        }
        for t in tokens
    ]
    if output == "json":
        print(json.dumps(items, indent=2))
        return EXIT_OK
    if not items:
        print(_("no API tokens yet; create one with: token create --name NAME --scope SCOPE"))
        return EXIT_OK
    rows = [
        (
            str(item["id"]),
            str(item["name"]),
            " ".join(item["scopes"]),
            str(item["created_by"]),
            str(item["created_at"])[:16].replace("T", " "),
            str(item["last_used_at"] or _("never"))[:16].replace("T", " "),
            _token_state(item),
        )
        for item in items
    ]
    header = (
        "id",  # the same in every language, as the JSON key
        pgettext("token", "name"),
        _("scopes"),
        _("created by"),
        _("created (UTC)"),
        _("last used"),
        _("state"),
    )
    print(grid(header, rows, {0}))
    return EXIT_OK


def _token_state(item: dict[str, Any]) -> str:
    """A token's state as the list writes it: active, revoked on a day, or lapsed."""
    if item["revoked_at"]:
        revoked = datetime.fromisoformat(str(item["revoked_at"])).date()
        return _("revoked {day}").format(day=day(revoked))
    if item["lapsed"]:
        return _("lapsed (creator not a director)")
    return _("active")
