"""The demo quarter's shipped and under-way initiatives, their status updates, and its decisions.

Each initiative is a row of a table (owner, estimates, days, expected lift) and a story (title,
description, the key results it should move, its status updates); one builder makes both into
InitiativeSpecs for the loader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from planning.demo.generator import CHECKOUT_REDESIGN_LIFT, FREE_SHIPPING_LIFT, HOME_ENRICHMENT_LIFT
from planning.store.models import Health, InitiativeStatus


@dataclass(frozen=True)
class Step:
    """One status update: its day, status, health, % complete and note."""

    day: date
    status: InitiativeStatus
    health: Health
    percent: int
    note: str


@dataclass(frozen=True)
class InitiativeSpec:
    """One initiative of the demo quarter: what it is, its KRs, estimates and status history."""

    key: str
    title: str
    description: str
    owner: str
    effort_weeks: float
    krs: tuple[str, ...]
    history: tuple[Step, ...]
    start: date | None = None
    target: date | None = None
    shipped: date | None = None
    lift: tuple[str, float] | None = None
    value: float = 0.5  # 0–1: how much it is expected to move its KRs
    confidence: float = 0.5  # 0–1: how sure the team is of that
    urgency: float = 0.5  # 0–1: how much waiting costs
    reach: int = 10_000  # customers per quarter it touches


def steps(anchor: date, table: str) -> tuple[Step, ...]:
    """Status updates from a table: days from the anchor, status, health, % complete, note."""
    found = []
    for line in table.strip().splitlines():
        days, status, health, percent, note = line.split(maxsplit=4)
        found.append(
            Step(
                anchor + timedelta(days=int(days)),
                InitiativeStatus(status),
                Health(health),
                int(percent),
                note,
            )
        )
    return tuple(found)


# A story: the title, the description, the key results it should move (their keys, space
# separated) and the table of its status updates (see steps()).
Story = tuple[str, str, str, str]
# The lift each planted event's initiative is expected to make: what the generated data holds.
PLANTED_LIFTS = {
    "checkout_redesign": CHECKOUT_REDESIGN_LIFT,
    "home_enrichment": HOME_ENRICHMENT_LIFT,
    "free_shipping": FREE_SHIPPING_LIFT,
}


def _rows(table: str) -> Iterator[list[str]]:
    for line in table.strip().splitlines():
        if not line.startswith("#"):
            yield line.split()


def _number(text: str) -> int | float:
    """A table's number as written: 3 stays a whole number, 0.5 a fraction."""
    return float(text) if "." in text else int(text)


def build_initiatives(
    table: str, stories: Mapping[str, Story], anchors: Mapping[str, date], today: date
) -> list[InitiativeSpec]:
    """Initiatives from a table and their stories, in the table's order.

    A row: key, owner, person-weeks (wk), how much it is expected to move its KRs (val), how sure
    the team is of that (conf) and how much waiting costs (urg), each 0–1, customers per quarter
    it touches (reach), the start, target (due) and shipped days, counted from the anchor, and
    the expected lift: metric and share ("event": the planted event's). "-" marks none. An
    initiative's anchor is its planted event's day when it has one, else today.
    """
    found = []
    for key, owner, weeks, value, confidence, urgency, reach, *days, metric, share in _rows(table):
        anchor = anchors.get(key, today)
        start, target, shipped = (
            None if d == "-" else anchor + timedelta(days=int(d)) for d in days
        )
        lift = None
        if metric != "-":
            lift = (metric, PLANTED_LIFTS[key] if share == "event" else float(share))
        title, description, krs, history = stories[key]
        found.append(
            InitiativeSpec(
                key=key,
                title=title,
                description=description,
                owner=owner,
                effort_weeks=_number(weeks),
                krs=tuple(krs.split()),
                history=steps(anchor, history),
                start=start,
                target=target,
                shipped=shipped,
                lift=lift,
                value=float(value),
                confidence=float(confidence),
                urgency=float(urgency),
                reach=int(reach),
            )
        )
    return found


UNDERWAY = """
# key               owner wk  val conf urg  reach start  due ship lift                        share
checkout_redesign   priya 3   0.9 0.8  0.7 160000   -56   -7    0 checkout_completion_rate    event
home_enrichment     tom   2   0.7 0.8  0.5  60000   -42   -3    0 line_add_to_cart_rate       event
free_shipping       ana   0.5 0.6 0.8  0.6 150000   -20   -2    0 aov                         event
full_cost_early     priya 0.5 0.5 0.8  0.5 120000   -45  -30  -32 conversion_rate             0.02
abandonment_emails  lucas 0.5 0.6 0.8  0.5  40000   -80  -60  -58 email_revenue_per_recipient 0.06
welcome_flows       lucas 1   0.5 0.8  0.4  35000  -130 -100 -104 email_revenue_per_recipient 0.04
guest_checkout      priya 0.5 0.6 0.8  0.7 140000   -20   10    - conversion_rate             0.03
page_speed          jonas 2   0.6 0.5  0.6 200000   -35   21    - conversion_rate             0.02
seo_hub             tom   3.5 0.7 0.5  0.4 250000   -50   40    - sessions                    0.04
publishing_workflow tom   2   0.5 0.8  0.6   5000   -40   14    - on_time_publishing_rate     0.1
recommendations     ana   2   0.7 0.5  0.5 180000   -30   30    - units_per_order             0.06
express_checkout    priya 1.5 0.7 0.8  0.6 150000   -25   25    - checkout_completion_rate    0.04
margin_bidding      jonas 1.5 0.6 0.5  0.5  90000   -40   10    - gross_margin_pct            0.02
structured_data     tom   0.5 0.4 0.8  0.4 100000   -21    7    - organic_ctr                 0.05
"""
# Status updates, newest last; `-9` is nine days before the anchor. Some active ones are stale on
# purpose.
UNDERWAY_STORIES: dict[str, Story] = {
    "checkout_redesign": (
        "One-page checkout redesign",
        "Collapse the four checkout steps into one page with inline validation and saved "
        "addresses.",
        "conversion completion mobile_abandonment",
        """
-60 planned     on_track   0 Scoped with engineering: one page, inline validation, saved addresses.
-50 in_progress on_track  20 Design signed off; build started behind a feature flag.
-30 in_progress at_risk   55 Hosted payment fields need a new integration: a week late.
-14 in_progress on_track  85 A/B test live on half the traffic.
0   done        on_track 100 Rolled out to all traffic after the A/B test held its lift.
""",
    ),
    "home_enrichment": (
        "Product page enrichment for Home (PIM/DAM)",
        "Fill missing attributes, dimensions and lifestyle imagery for the top Home SKUs through "
        "the PIM and DAM.",
        "completeness conversion",
        """
-45 planned     on_track   0 Top 400 Home SKUs picked; attribute gaps listed from the PIM export.
-35 in_progress on_track  25 Copywriters on dimensions and care; studio booked for lifestyle shots.
-18 in_progress at_risk   60 Imagery late from the studio; text ahead of plan.
0   done        on_track 100 All top Home SKUs enriched and published.
""",
    ),
    "free_shipping": (
        "Free-shipping threshold with a progress bar",
        "Raise the free-shipping threshold and show shoppers how close they are in the cart and "
        "mini-cart.",
        "aov units_per_order",
        """
-24 planned     on_track   0 Threshold modelled with finance: shipping cost per order stays flat.
-12 in_progress on_track  50 Progress bar built for cart and mini-cart.
0   done        on_track 100 Threshold test live for all visitors.
""",
    ),
    "full_cost_early": (
        "Show full delivery cost early",
        "Show delivery cost and date on product pages and in the cart, before checkout.",
        "mobile_abandonment conversion",
        """
-47 planned     on_track   0 The carrier's delivery estimate API is available.
-40 in_progress on_track  40 Estimate shown on product pages; cart next.
-32 done        on_track 100 Live on product pages and in the cart.
""",
    ),
    "abandonment_emails": (
        "Cart and browse abandonment emails",
        "Triggered emails for carts left for an hour and product views left for a day.",
        "net_revenue",
        """
-82 planned     on_track   0 Triggers agreed: cart after one hour, browse after a day.
-70 in_progress on_track  50 Templates built; consent check passed review.
-58 done        on_track 100 Both flows live; revenue tracked in the email report.
""",
    ),
    "welcome_flows": (
        "Welcome and post-purchase flows",
        "A three-email welcome series and a post-purchase flow with care tips and review requests.",
        "net_revenue",
        """
-132 planned     on_track   0 Journeys mapped with customer service.
-118 in_progress on_track  45 Welcome series written; post-purchase flow in design.
-104 done        on_track 100 Both flows live.
""",
    ),
    "guest_checkout": (
        "Guest checkout by default",
        "Let shoppers buy without an account; offer one on the confirmation page.",
        "mobile_abandonment completion",
        """
-22 planned     on_track   0 Legal agreed to guest orders with an account offered after purchase.
-15 in_progress on_track  30 Guest path built; account prompt moved to the confirmation page.
-3  in_progress on_track  70 In QA on mobile; release planned next week.
""",
    ),
    "page_speed": (
        "Page speed: image CDN and script diet",
        "Serve images from a CDN in modern formats and remove unused tags and scripts.",
        "conversion organic_sessions",
        """
-38 planned     on_track   0 Baseline: mobile LCP 3.4 s on product pages.
-28 in_progress on_track  20 Image CDN live on product listing pages.
-9  in_progress at_risk   45 Tag clean-up waits on marketing's sign-off to remove three tags.
""",
    ),
    "seo_hub": (
        "SEO content hub",
        "Twelve topic hubs with buying guides, linked from category pages.",
        "organic_sessions",
        """
-52 planned     on_track   0 Topic clusters chosen from keyword research: 12 hubs, 80 articles.
-38 in_progress on_track  15 Hub template live; first two hubs in writing.
-20 in_progress on_track  30 Four hubs published; internal links from category pages added.
-4  in_progress at_risk   40 Freelance writing capacity halved; six hubs at risk this quarter.
""",
    ),
    "publishing_workflow": (
        "Publishing workflow with automated QA",
        "Due dates, review states and automated checks for links, alt text and spelling in the "
        "CMS.",
        "on_time qa_defects",
        """
-42 planned     on_track   0 Workflow states agreed with the content team.
-30 in_progress on_track  25 Workflow states and due dates set up in the CMS.
-16 in_progress on_track  45 Automated checks for broken links and missing alt text running.
-5  in_progress at_risk   55 Spell-check integration fails on product names; vendor ticket open.
""",
    ),
    "recommendations": (
        "Recommendations and bundles on product pages",
        "Bought-together and complete-the-look recommendations, piloted on Apparel.",
        "aov units_per_order",
        """
-32 planned     on_track   0 Vendor shortlist down to two; pilot on Apparel.
-24 in_progress on_track  15 Pilot contract signed; product feed connected.
-12 in_progress off_track 30 Feed sync drops a fifth of the SKUs; the vendor's fix has no date.
""",
    ),
    "express_checkout": (
        "Express checkout with wallets",
        "Apple Pay and Google Pay buttons on the cart and product pages.",
        "express_milestone completion conversion",
        """
-27 planned     on_track   0 The payment provider supports both wallets.
-18 in_progress on_track  20 Apple Pay domain verified; Google Pay in review.
-2  in_progress on_track  45 Wallet buttons on the cart page in staging.
""",
    ),
    "margin_bidding": (
        "Margin-based bidding on paid search",
        "Bid on gross profit instead of revenue by feeding SKU margins to the ad platform.",
        "margin_guardrail home_margin",
        """
-42 planned     on_track   0 Approach agreed with the agency.
-33 in_progress on_track  20 Margin per SKU joined to the product feed in a test account.
-16 blocked     off_track 35 Waiting for a weekly COGS file from finance; nobody owns it there yet.
""",
    ),
    "structured_data": (
        "Structured data for product pages",
        "Product, offer and review markup so search results show price and stars.",
        "organic_sessions",
        """
-23 planned     on_track   0 Markup spec written.
-14 in_progress on_track  40 Product and offer markup validated in staging.
-6  blocked     at_risk   40 Releases frozen until the platform upgrade lands.
""",
    ),
}


def underway_initiatives(events: Mapping[str, date], today: date) -> list[InitiativeSpec]:
    """The done, in-progress and blocked initiatives; the planted events' ones ship on the day."""
    return build_initiatives(UNDERWAY, UNDERWAY_STORIES, events, today)


# Which work waits on which: (blocker, blocked), by the initiatives' keys. Every dependent starts
# once what it waits on has ended, so the demo roadmap shows the links without a late flag.
DEPENDENCIES: tuple[tuple[str, str], ...] = (
    ("checkout_redesign", "express_checkout"),  # wallets go into the new checkout
    ("checkout_redesign", "guest_checkout"),
    ("home_enrichment", "home_bundles"),  # bundles need the enriched Home pages
    ("publishing_workflow", "beauty_howto"),  # how-to guides go through the new QA
    ("seo_hub", "beauty_howto"),  # and live in the content hub
)


def decisions(events: Mapping[str, date], today: date) -> list[tuple[date, str, str]]:
    """The quarter's decisions: the day decided, the text, and the initiative's key."""
    outage = events["outage"]
    return [
        (
            events["checkout_redesign"] - timedelta(days=2),
            "Roll the one-page checkout out to all traffic: the A/B test held checkout "
            "completion up about 8 % with no drop in AOV.",
            "checkout_redesign",
        ),
        (
            outage + timedelta(days=1),
            f"After the outage on {outage:%d %B}, page speed work adds CDN failover before any "
            "new feature.",
            "page_speed",
        ),
        (
            today - timedelta(days=34),
            "Drop marketplace expansion this quarter: marketplace fees leave Electronics at a "
            "loss.",
            "marketplace",
        ),
    ]
