"""How a status looks wherever it is shown: its label, colour, icon and badge, one set for the
Roadmap's bars, the Goals page's chart and badges, the Impact chart and the weekly digest.

A status is never told by colour alone: every chart and table that colours one also names it
(a label, a tooltip or a legend). Each colour carries white text at a contrast of at least
4.5:1 (the digest writes status labels in white on it) and so stands out from a white page too.
"""

from __future__ import annotations

from planning.i18n import N_

GREEN = "#2e8540"
AMBER = "#b35c00"
RED = "#c0392b"
GREY = "#737373"
BLUE = "#2f6fd0"
TEXT_ON_COLOUR = "#ffffff"  # label text drawn on a status colour

# A key result's or objective's status (too_early: no data yet to judge it), and an initiative's
# health, which uses the first three.
STATUS_LABELS = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
    "too_early": N_("Too early"),
}
STATUS_COLOURS = {"on_track": GREEN, "at_risk": AMBER, "off_track": RED, "too_early": GREY}
STATUS_ICONS = {"on_track": "🟢", "at_risk": "🟠", "off_track": "🔴", "too_early": "⚪"}
# Streamlit's named colours for a Markdown badge (":green-badge[On track]"), closest to the above.
STATUS_BADGES = {"on_track": "green", "at_risk": "orange", "off_track": "red", "too_early": "gray"}
HEALTH_COLOURS = {h: STATUS_COLOURS[h] for h in ("on_track", "at_risk", "off_track")}

# An impact verdict (planning.impact.ledger.VERDICT_LABELS); not_enough_data is never coloured.
VERDICT_COLOURS = {"beat": GREEN, "met": BLUE, "missed": RED, "inconclusive": GREY}

# Done work keeps its health colour, paler (the Roadmap's bars).
DONE_OPACITY = 0.45


def status_colour(status: str) -> str:
    """A status's colour; grey for one without its own (no data)."""
    return STATUS_COLOURS.get(status, GREY)


def verdict_colour(verdict: str) -> str:
    """An impact verdict's colour; grey for one without its own."""
    return VERDICT_COLOURS.get(verdict, GREY)


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours, from 1 (none) to 21 (black on white)."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
