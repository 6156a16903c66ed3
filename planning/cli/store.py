"""The store's commands: init, export and restore."""

from __future__ import annotations

import argparse
from pathlib import Path

from planning.cli.common import EXIT_OK, EXIT_REFUSED, Context, Group, UsageError, arg, fail, where
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _

GROUP = Group()


@GROUP.command("init", N_("Create or upgrade the store's schema and say where the store is."))
def run_init(args: argparse.Namespace, context: Context) -> int:
    """Migrate the store to the newest schema."""
    engine = context.engine  # opening the store migrates it
    print(_("store ready at {where}").format(where=where(engine.url)))
    return EXIT_OK


# --- export and restore --------------------------------------------------------------------------


@GROUP.command(
    "export",
    N_(
        "Export the whole store into a new folder: one JSON Lines file per table and a manifest "
        "(schema revision, row counts, checksums)."
    ),
    arg("directory", metavar="DIR", help=N_("a folder that does not exist yet, or an empty one")),
)
def run_export(args: argparse.Namespace, context: Context) -> int:
    """Write every table of the store and its manifest into DIR."""
    from planning.store.backup import BackupError, export_store

    try:
        manifest = export_store(engine=context.engine, directory=Path(args.directory))
    except BackupError as exc:
        return fail(str(exc), EXIT_REFUSED)
    except OSError as exc:
        raise UsageError(
            _("cannot write into {path}: {reason}").format(
                path=args.directory, reason=exc.strerror or exc
            )
        ) from None
    rows = manifest.rows()
    print(
        _(
            "exported {tables} tables ({rows} rows, schema revision {revision}) from {where} "
            "to {path}"
        ).format(
            tables=len(rows),
            rows=format_count(sum(rows.values())),
            revision=manifest.schema_revision,
            where=where(context.engine.url),
            path=args.directory,
        )
    )
    return EXIT_OK


@GROUP.command(
    "restore",
    N_(
        "Restore an export folder into an empty store (same schema revision), in one transaction, "
        "keeping every id."
    ),
    arg("directory", metavar="DIR", help=N_("a folder written by the export command")),
    arg(
        "--with-credentials",
        action="store_true",
        help=N_(
            "also restore password hashes, open sign-in sessions, API tokens and share links; "
            "only for an export you made and kept safe (without it, an export holding any is "
            "refused)"
        ),
    ),
)
def run_restore(args: argparse.Namespace, context: Context) -> int:
    """Check an export folder whole, then write it into the empty store."""
    from planning.store.backup import BackupError
    from planning.store.restore import restore_store

    try:
        summary = restore_store(
            engine=context.engine,
            directory=Path(args.directory),
            with_credentials=args.with_credentials,
        )
    except BackupError as exc:
        return fail(_("{reason}; nothing was restored").format(reason=exc), EXIT_REFUSED)
    except OSError as exc:
        raise UsageError(
            _("cannot read {path}: {reason}").format(
                path=args.directory, reason=exc.strerror or exc
            )
        ) from None
    print(
        _("restored {rows} rows in {tables} tables (exported {when}) into {where}").format(
            rows=format_count(sum(summary.rows.values())),
            tables=len(summary.rows),
            when=summary.exported_at,
            where=where(context.engine.url),
        )
    )
    return EXIT_OK


# --- the daily totals --------------------------------------------------------------------------


@GROUP.command(
    "rebuild-totals",
    N_(
        "Sum every measure's daily totals again from all the observations (imports keep them in "
        "step; this is for a store whose observations were changed outside Quarterdeck)."
    ),
)
def run_rebuild_totals(args: argparse.Namespace, context: Context) -> int:
    """Rebuild the daily totals per measure from the observations, in one transaction."""
    from planning.metrics.rollups import rebuild_daily_totals
    from planning.store.engine import OBSERVATIONS, bump_version, session_scope

    with session_scope(context.engine) as session:
        rows = rebuild_daily_totals(connection=session.connection())
        bump_version(session, OBSERVATIONS)
    print(
        _("summed {rows} daily totals again in {where}").format(
            rows=format_count(rows), where=where(context.engine.url)
        )
    )
    return EXIT_OK
