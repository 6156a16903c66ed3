"""The demo command: load the generated demo data set."""

from __future__ import annotations

import argparse
from dataclasses import asdict, is_dataclass
from typing import Any

from planning import clock
from planning.cli.common import EXIT_OK, EXIT_REFUSED, Context, Group, arg, fail, where
from planning.i18n import N_, word_for
from planning.i18n import gettext as _

GROUP = Group()

# What the demo loaded, line by line (its summary's fields).
SUMMARY_WORDS = {
    "period": N_("period"),
    "first_day": N_("first day"),
    "last_day": N_("last day"),
    "observations": N_("observations"),
    "series": N_("series"),
    "people": N_("people"),
    "time_off": N_("time off"),
    "objectives": N_("objectives"),
    "key_results": N_("key results"),
    "check_ins": N_("check ins"),
    "initiatives": N_("initiatives"),
    "status_updates": N_("status updates"),
    "decisions": N_("decisions"),
    "audit_events": N_("audit events"),
}


@GROUP.command(
    "demo",
    N_("Load the generated demo data set (three years of metrics, a team, OKRs, initiatives)."),
    arg("--reset", action="store_true", help=N_("wipe the store's contents first")),
    arg("--seed", type=int, metavar="N", help=N_("random seed (default: settings.yaml demo.seed)")),
)
def run_demo(args: argparse.Namespace, context: Context) -> int:
    """Load the demo data and print what was loaded."""
    from planning.demo.loader import DemoAlreadyLoaded, load_demo

    seed = args.seed if args.seed is not None else context.config.settings.demo.seed
    try:
        summary = load_demo(
            engine=context.engine,
            config=context.config,
            seed=seed,
            today=clock.today(),
            reset=args.reset,
        )
    except DemoAlreadyLoaded as exc:
        return fail(
            _("{reason} (use --reset to replace the store's contents)").format(reason=exc),
            EXIT_REFUSED,
        )
    print(
        _("demo data loaded into {where} (seed {seed})").format(
            where=where(context.engine.url), seed=seed
        )
    )
    for name, value in _fields(summary).items():
        print(f"  {word_for(SUMMARY_WORDS, name)}: {value}")
    return EXIT_OK


def _fields(summary: Any) -> dict[str, Any]:
    if is_dataclass(summary) and not isinstance(summary, type):
        return asdict(summary)
    if hasattr(summary, "model_dump"):
        return dict(summary.model_dump())
    return dict(vars(summary))
