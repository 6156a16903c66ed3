"""The demo quarter's shipped and under-way initiatives, their status updates, and its decisions."""

from __future__ import annotations

from collections.abc import Mapping
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


def underway_initiatives(events: Mapping[str, date], today: date) -> list[InitiativeSpec]:
    """The done, in-progress and blocked initiatives; the planted events' ones ship on the day."""

    def on(days: int, anchor: date = today) -> date:
        return anchor + timedelta(days=days)

    cr, fs, he = events["checkout_redesign"], events["free_shipping"], events["home_enrichment"]
    # Tables of status updates, newest last; `-9` is nine days before the anchor (today unless
    # the initiative ships a planted event). Some active ones are stale on purpose.
    return [
        InitiativeSpec(
            key="checkout_redesign",
            title="One-page checkout redesign",
            description="Collapse the four checkout steps into one page with inline "
            "validation and saved addresses.",
            owner="priya",
            effort_weeks=3,
            krs=("conversion", "completion", "mobile_abandonment"),
            start=on(-56, cr),
            target=on(-7, cr),
            shipped=cr,
            lift=("checkout_completion_rate", CHECKOUT_REDESIGN_LIFT),
            value=0.9,
            confidence=0.8,
            urgency=0.7,
            reach=160_000,
            history=steps(
                cr,
                """
-60 planned     on_track   0 Scoped with engineering: one page, inline validation, saved addresses.
-50 in_progress on_track  20 Design signed off; build started behind a feature flag.
-30 in_progress at_risk   55 Hosted payment fields need a new integration: a week late.
-14 in_progress on_track  85 A/B test live on half the traffic.
0   done        on_track 100 Rolled out to all traffic after the A/B test held its lift.
""",
            ),
        ),
        InitiativeSpec(
            key="home_enrichment",
            title="Product page enrichment for Home (PIM/DAM)",
            description="Fill missing attributes, dimensions and lifestyle imagery for the "
            "top Home SKUs through the PIM and DAM.",
            owner="tom",
            effort_weeks=2,
            krs=("completeness", "conversion"),
            start=on(-42, he),
            target=on(-3, he),
            shipped=he,
            lift=("line_add_to_cart_rate", HOME_ENRICHMENT_LIFT),
            value=0.7,
            confidence=0.8,
            urgency=0.5,
            reach=60_000,
            history=steps(
                he,
                """
-45 planned     on_track   0 Top 400 Home SKUs picked; attribute gaps listed from the PIM export.
-35 in_progress on_track  25 Copywriters on dimensions and care; studio booked for lifestyle shots.
-18 in_progress at_risk   60 Imagery late from the studio; text ahead of plan.
0   done        on_track 100 All top Home SKUs enriched and published.
""",
            ),
        ),
        InitiativeSpec(
            key="free_shipping",
            title="Free-shipping threshold with a progress bar",
            description="Raise the free-shipping threshold and show shoppers how close they "
            "are in the cart and mini-cart.",
            owner="ana",
            effort_weeks=0.5,
            krs=("aov", "units_per_order"),
            start=on(-20, fs),
            target=on(-2, fs),
            shipped=fs,
            lift=("aov", FREE_SHIPPING_LIFT),
            value=0.6,
            confidence=0.8,
            urgency=0.6,
            reach=150_000,
            history=steps(
                fs,
                """
-24 planned     on_track   0 Threshold modelled with finance: shipping cost per order stays flat.
-12 in_progress on_track  50 Progress bar built for cart and mini-cart.
0   done        on_track 100 Threshold test live for all visitors.
""",
            ),
        ),
        InitiativeSpec(
            key="full_cost_early",
            title="Show full delivery cost early",
            description="Show delivery cost and date on product pages and in the cart, "
            "before checkout.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment", "conversion"),
            start=on(-45),
            target=on(-30),
            shipped=on(-32),
            lift=("conversion_rate", 0.02),
            value=0.5,
            confidence=0.8,
            urgency=0.5,
            reach=120_000,
            history=steps(
                today,
                """
-47 planned     on_track   0 The carrier's delivery estimate API is available.
-40 in_progress on_track  40 Estimate shown on product pages; cart next.
-32 done        on_track 100 Live on product pages and in the cart.
""",
            ),
        ),
        InitiativeSpec(
            key="abandonment_emails",
            title="Cart and browse abandonment emails",
            description="Triggered emails for carts left for an hour and product views left "
            "for a day.",
            owner="lucas",
            effort_weeks=0.5,
            krs=("net_revenue",),
            start=on(-80),
            target=on(-60),
            shipped=on(-58),
            lift=("email_revenue_per_recipient", 0.06),
            value=0.6,
            confidence=0.8,
            urgency=0.5,
            reach=40_000,
            history=steps(
                today,
                """
-82 planned     on_track   0 Triggers agreed: cart after one hour, browse after a day.
-70 in_progress on_track  50 Templates built; consent check passed review.
-58 done        on_track 100 Both flows live; revenue tracked in the email report.
""",
            ),
        ),
        InitiativeSpec(
            key="welcome_flows",
            title="Welcome and post-purchase flows",
            description="A three-email welcome series and a post-purchase flow with care "
            "tips and review requests.",
            owner="lucas",
            effort_weeks=1,
            krs=("net_revenue",),
            start=on(-130),
            target=on(-100),
            shipped=on(-104),
            lift=("email_revenue_per_recipient", 0.04),
            value=0.5,
            confidence=0.8,
            urgency=0.4,
            reach=35_000,
            history=steps(
                today,
                """
-132 planned     on_track   0 Journeys mapped with customer service.
-118 in_progress on_track  45 Welcome series written; post-purchase flow in design.
-104 done        on_track 100 Both flows live.
""",
            ),
        ),
        InitiativeSpec(
            key="guest_checkout",
            title="Guest checkout by default",
            description="Let shoppers buy without an account; offer one on the confirmation page.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment", "completion"),
            start=on(-20),
            target=on(10),
            lift=("conversion_rate", 0.03),
            value=0.6,
            confidence=0.8,
            urgency=0.7,
            reach=140_000,
            history=steps(
                today,
                """
-22 planned     on_track   0 Legal agreed to guest orders with an account offered after purchase.
-15 in_progress on_track  30 Guest path built; account prompt moved to the confirmation page.
-3  in_progress on_track  70 In QA on mobile; release planned next week.
""",
            ),
        ),
        InitiativeSpec(
            key="page_speed",
            title="Page speed: image CDN and script diet",
            description="Serve images from a CDN in modern formats and remove unused tags "
            "and scripts.",
            owner="jonas",
            effort_weeks=2,
            krs=("conversion", "organic_sessions"),
            start=on(-35),
            target=on(21),
            lift=("conversion_rate", 0.02),
            value=0.6,
            confidence=0.5,
            urgency=0.6,
            reach=200_000,
            history=steps(
                today,
                """
-38 planned     on_track   0 Baseline: mobile LCP 3.4 s on product pages.
-28 in_progress on_track  20 Image CDN live on product listing pages.
-9  in_progress at_risk   45 Tag clean-up waits on marketing's sign-off to remove three tags.
""",
            ),
        ),
        InitiativeSpec(
            key="seo_hub",
            title="SEO content hub",
            description="Twelve topic hubs with buying guides, linked from category pages.",
            owner="tom",
            effort_weeks=3.5,
            krs=("organic_sessions",),
            start=on(-50),
            target=on(40),
            lift=("sessions", 0.04),
            value=0.7,
            confidence=0.5,
            urgency=0.4,
            reach=250_000,
            history=steps(
                today,
                """
-52 planned     on_track   0 Topic clusters chosen from keyword research: 12 hubs, 80 articles.
-38 in_progress on_track  15 Hub template live; first two hubs in writing.
-20 in_progress on_track  30 Four hubs published; internal links from category pages added.
-4  in_progress at_risk   40 Freelance writing capacity halved; six hubs at risk this quarter.
""",
            ),
        ),
        InitiativeSpec(
            key="publishing_workflow",
            title="Publishing workflow with automated QA",
            description="Due dates, review states and automated checks for links, alt text "
            "and spelling in the CMS.",
            owner="tom",
            effort_weeks=2,
            krs=("on_time", "qa_defects"),
            start=on(-40),
            target=on(14),
            lift=("on_time_publishing_rate", 0.10),
            value=0.5,
            confidence=0.8,
            urgency=0.6,
            reach=5_000,
            history=steps(
                today,
                """
-42 planned     on_track   0 Workflow states agreed with the content team.
-30 in_progress on_track  25 Workflow states and due dates set up in the CMS.
-16 in_progress on_track  45 Automated checks for broken links and missing alt text running.
-5  in_progress at_risk   55 Spell-check integration fails on product names; vendor ticket open.
""",
            ),
        ),
        InitiativeSpec(
            key="recommendations",
            title="Recommendations and bundles on product pages",
            description="Bought-together and complete-the-look recommendations, piloted on "
            "Apparel.",
            owner="ana",
            effort_weeks=2,
            krs=("aov", "units_per_order"),
            start=on(-30),
            target=on(30),
            lift=("units_per_order", 0.06),
            value=0.7,
            confidence=0.5,
            urgency=0.5,
            reach=180_000,
            history=steps(
                today,
                """
-32 planned     on_track   0 Vendor shortlist down to two; pilot on Apparel.
-24 in_progress on_track  15 Pilot contract signed; product feed connected.
-12 in_progress off_track 30 Feed sync drops a fifth of the SKUs; the vendor's fix has no date.
""",
            ),
        ),
        InitiativeSpec(
            key="express_checkout",
            title="Express checkout with wallets",
            description="Apple Pay and Google Pay buttons on the cart and product pages.",
            owner="priya",
            effort_weeks=1.5,
            krs=("express_milestone", "completion", "conversion"),
            start=on(-25),
            target=on(25),
            lift=("checkout_completion_rate", 0.04),
            value=0.7,
            confidence=0.8,
            urgency=0.6,
            reach=150_000,
            history=steps(
                today,
                """
-27 planned     on_track   0 The payment provider supports both wallets.
-18 in_progress on_track  20 Apple Pay domain verified; Google Pay in review.
-2  in_progress on_track  45 Wallet buttons on the cart page in staging.
""",
            ),
        ),
        InitiativeSpec(
            key="margin_bidding",
            title="Margin-based bidding on paid search",
            description="Bid on gross profit instead of revenue by feeding SKU margins to "
            "the ad platform.",
            owner="jonas",
            effort_weeks=1.5,
            krs=("margin_guardrail", "home_margin"),
            start=on(-40),
            target=on(10),
            lift=("gross_margin_pct", 0.02),
            value=0.6,
            confidence=0.5,
            urgency=0.5,
            reach=90_000,
            history=steps(
                today,
                """
-42 planned     on_track   0 Approach agreed with the agency.
-33 in_progress on_track  20 Margin per SKU joined to the product feed in a test account.
-16 blocked     off_track 35 Waiting for a weekly COGS file from finance; nobody owns it there yet.
""",
            ),
        ),
        InitiativeSpec(
            key="structured_data",
            title="Structured data for product pages",
            description="Product, offer and review markup so search results show price and stars.",
            owner="tom",
            effort_weeks=0.5,
            krs=("organic_sessions",),
            start=on(-21),
            target=on(7),
            lift=("organic_ctr", 0.05),
            value=0.4,
            confidence=0.8,
            urgency=0.4,
            reach=100_000,
            history=steps(
                today,
                """
-23 planned     on_track   0 Markup spec written.
-14 in_progress on_track  40 Product and offer markup validated in staging.
-6  blocked     at_risk   40 Releases frozen until the platform upgrade lands.
""",
            ),
        ),
    ]


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
