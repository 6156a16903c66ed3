"""Weekly planning's estimator calibration: each estimator's record of expected lifts, and the
confidence it suggests for the open initiatives they estimated, with the button that applies it
(drawn only while its expander is open: measuring every shipped lift is the page's heaviest
read)."""

from __future__ import annotations

from collections.abc import Callable, Collection

import pandas as pd
import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.formatting import format_count, format_entered, format_whole_percent
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.impact.calibration import apply_suggested_confidences
from planning.impact.ledger_views import points_text
from planning.store.models import PersonRead
from planning.store.versioning import ConflictError
from planning.validation import InputError
from ui import planning_data as data
from ui.confirm_write import run_write
from ui.state import Versions
from ui.text import escape_markdown

CALIBRATION_OPEN = "planning_calibration"


def calibration_section(
    *,
    versions: Versions,
    person: PersonRead,
    config: AppConfig,
    framework_id: str,
    framework_label: str,
    inputs: Collection[str],
    on_written: Callable[[str], None],
) -> None:
    """The section's heading and its expander; `on_written` reloads the backlog after applying."""
    st.subheader(_("Estimator calibration"))
    calibration = st.expander(
        _("Each estimator's record of expected lifts, and the confidence it suggests"),
        key=CALIBRATION_OPEN,
        on_change="rerun",
        icon=":material/target:",
    )
    with calibration:
        if not calibration.open:
            return
        calibrations, suggestions = data.estimator_calibration(versions, framework_id)
        if calibrations.empty:
            st.info(_("Calibration appears once initiatives with an expected lift have shipped."))
        else:
            estimator = _("Estimator")
            st.table(
                pd.DataFrame(
                    {
                        estimator: calibrations["person"],
                        _("Predictions"): calibrations["predictions"],
                        _("Landed"): calibrations["landed"],
                        _("Missed"): calibrations["missed"],
                        _("Hit rate"): [
                            "—" if pd.isna(v) else format_whole_percent(v)
                            for v in calibrations["hit_rate"]
                        ],
                        _("Average over/under-estimate"): [
                            f"{points_text(v)} {_(str(t)) if t else ''}".strip()
                            for v, t in zip(
                                calibrations["mean_error"], calibrations["tendency"], strict=True
                            )
                        ],
                        _("Suggested confidence"): [
                            format_whole_percent(v) for v in calibrations["suggested_confidence"]
                        ],
                    }
                ).set_index(estimator)
            )
            st.caption(
                _(
                    "Measured predictions of each person who set expected lifts (the Impact page "
                    "has the ledger). Suggested confidence = (landed + 1) / (landed + missed + 2)."
                )
            )
        if "confidence" not in inputs:
            st.caption(
                _("{framework} has no confidence input, so there is nothing to suggest.").format(
                    framework=framework_label
                )
            )
        elif suggestions:
            how_many = len(suggestions)
            with st.expander(
                ngettext(
                    "{count} initiative would change {framework} confidence",
                    "{count} initiatives would change {framework} confidence",
                    how_many,
                ).format(count=format_count(how_many), framework=framework_label)
            ):
                initiative = _("Initiative")
                st.table(
                    pd.DataFrame(
                        {
                            initiative: [s.title for s in suggestions],
                            _("Estimator"): [s.estimator for s in suggestions],
                            _("Now"): [
                                "—" if s.current is None else format_entered(s.current)
                                for s in suggestions
                            ],
                            _("Suggested"): [format_entered(s.suggested) for s in suggestions],
                        }
                    ).set_index(initiative)
                )
            if st.button(
                ngettext(
                    "Apply suggested confidence to {count} initiative",
                    "Apply suggested confidence to {count} initiatives",
                    how_many,
                ).format(count=format_count(how_many))
            ):
                changed = run_write(
                    lambda session: apply_suggested_confidences(
                        session=session,
                        actor=person,
                        config=config,
                        framework_id=framework_id,
                        suggestions=suggestions,
                    ),
                    refusals=(InputError, PermissionDenied, ConflictError),
                    explain=lambda exc: escape_markdown(str(exc)),
                )
                if changed is not None:
                    on_written(
                        ngettext(
                            "Set {framework} confidence on {count} initiative from the "
                            "estimators' calibration.",
                            "Set {framework} confidence on {count} initiatives from the "
                            "estimators' calibration.",
                            changed,
                        ).format(framework=framework_label, count=format_count(changed))
                    )
        elif not calibrations.empty:
            st.caption(
                _("Every {framework} confidence already matches its estimator's record.").format(
                    framework=framework_label
                )
            )
