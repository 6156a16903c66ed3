"""The demo quarter's planned, proposed and dropped initiatives with their status updates."""

from __future__ import annotations

from datetime import date, timedelta

from planning.demo.story_initiatives import InitiativeSpec, steps


def pipeline_initiatives(today: date) -> list[InitiativeSpec]:
    """The planned initiatives, the ideas still to triage and the dropped ones."""

    def on(days: int, anchor: date = today) -> date:
        return anchor + timedelta(days=days)

    return [
        InitiativeSpec(
            key="loyalty",
            title="Loyalty programme pilot",
            description="Points on orders and early access to sales for 5,000 customers.",
            owner="lucas",
            effort_weeks=4,
            krs=("net_revenue",),
            start=on(21),
            target=on(110),
            lift=("orders", 0.03),
            value=0.8,
            confidence=0.5,
            urgency=0.3,
            reach=80_000,
            history=steps(
                today,
                """
-40 idea        on_track   0 Proposed after the customer survey: points and early access.
-11 planned     on_track   0 Business case approved by finance; the pilot starts next month.
""",
            ),
        ),
        InitiativeSpec(
            key="site_search",
            title="Site search tuning",
            description="Synonyms, typo tolerance and merchandised results for the top 200 "
            "queries.",
            owner="ana",
            effort_weeks=1,
            krs=("conversion",),
            start=on(7),
            target=on(45),
            lift=("conversion_rate", 0.015),
            value=0.5,
            confidence=0.8,
            urgency=0.5,
            reach=90_000,
            history=steps(
                today,
                """
-30 idea        on_track   0 Zero-result searches at 11 %; synonyms and typo tolerance fix most.
-6  planned     on_track   0 Scheduled once the recommendations pilot frees merchandising time.
""",
            ),
        ),
        InitiativeSpec(
            key="home_margin_mix",
            title="Home range margin mix",
            description="Lead Home with own-brand textiles rather than branded small appliances.",
            owner="ana",
            effort_weeks=1,
            krs=("home_margin",),
            start=on(3),
            target=on(35),
            lift=("gross_margin_pct", 0.03),
            value=0.6,
            confidence=0.5,
            urgency=0.6,
            reach=60_000,
            history=steps(
                today,
                """
-25 idea        on_track   0 Own-brand textiles earn twice the margin of small appliances.
-4  planned     on_track   0 Buying agreed the range list; merchandising rules ready next week.
""",
            ),
        ),
        InitiativeSpec(
            key="sticky_cart",
            title="Mobile cart: sticky checkout button",
            description="Keep the checkout button in view while shoppers scroll the cart on "
            "phones.",
            owner="priya",
            effort_weeks=0.5,
            krs=("mobile_abandonment",),
            start=on(12),
            target=on(20),
            lift=("conversion_rate", 0.01),
            value=0.4,
            confidence=0.8,
            urgency=0.5,
            reach=100_000,
            history=steps(
                today,
                """
-19 idea        on_track   0 Heatmaps show mobile shoppers scrolling past the checkout button.
-8  planned     on_track   0 Design ready; scheduled after guest checkout ships.
""",
            ),
        ),
        InitiativeSpec(
            key="funnel_tracking",
            title="Checkout funnel instrumentation",
            description="Track validation and payment errors in checkout so failed sessions "
            "can be explained.",
            owner="jonas",
            effort_weeks=0.5,
            krs=("completion",),
            start=on(5),
            target=on(19),
            value=0.4,
            confidence=1.0,
            urgency=0.5,
            reach=1_000,
            history=steps(
                today,
                """
-15 idea        on_track   0 Checkout errors are not tracked; we cannot see why sessions fail.
-7  planned     on_track   0 Event spec agreed with engineering.
""",
            ),
        ),
        InitiativeSpec(
            key="bnpl",
            title="Buy now, pay later at checkout",
            description="Offer instalments through a payment provider on orders over $150.",
            owner="priya",
            effort_weeks=1,
            krs=("aov", "conversion"),
            lift=("aov", 0.03),
            value=0.5,
            confidence=0.5,
            urgency=0.3,
            reach=60_000,
            history=steps(
                today,
                """
-33 idea        on_track   0 Two providers pitched; fees of 3–6 % of order value.
-13 idea        on_track   0 Scored in weekly planning; waiting for finance's view on fees.
""",
            ),
        ),
        InitiativeSpec(
            key="beauty_howto",
            title="Shoppable how-to content for Beauty",
            description="Short how-to videos with tagged products on Beauty category pages.",
            owner="tom",
            effort_weeks=1.5,
            krs=("organic_sessions", "completeness"),
            lift=("sessions", 0.01),
            value=0.4,
            confidence=0.5,
            urgency=0.2,
            reach=40_000,
            history=steps(
                today,
                """
-26 idea        on_track   0 A supplier offered footage for how-to videos.
-10 idea        on_track   0 Effort estimated with the studio: five person-weeks.
""",
            ),
        ),
        InitiativeSpec(
            key="back_in_stock",
            title="Back-in-stock alerts",
            description="Let shoppers ask for an email when a sold-out product returns.",
            owner="lucas",
            effort_weeks=0.5,
            krs=("net_revenue",),
            lift=("email_revenue_per_recipient", 0.03),
            value=0.4,
            confidence=0.8,
            urgency=0.4,
            reach=20_000,
            history=steps(
                today,
                """
-20 idea        on_track   0 Sold-out pages get 4 % of product views.
-9  idea        on_track   0 The email tool supports it; it needs an hourly stock feed.
""",
            ),
        ),
        InitiativeSpec(
            key="home_bundles",
            title="Bundle builder for Home textiles",
            description="Build a bed set from sheets, covers and pillows at a bundle price.",
            owner="ana",
            effort_weeks=1,
            krs=("aov", "units_per_order"),
            lift=("units_per_order", 0.04),
            value=0.5,
            confidence=0.5,
            urgency=0.3,
            reach=50_000,
            history=steps(
                today,
                """
-18 idea        on_track   0 A third of Home orders hold bed-set pieces bought separately.
-5  idea        on_track   0 Waits for the recommendations pilot's results.
""",
            ),
        ),
        InitiativeSpec(
            key="marketplace",
            title="Marketplace expansion",
            description="List Electronics and Home on a large marketplace.",
            owner="maya",
            effort_weeks=5,
            krs=("net_revenue",),
            start=on(-60),
            target=on(60),
            lift=("net_revenue", 0.06),
            value=0.7,
            confidence=0.5,
            urgency=0.4,
            reach=300_000,
            history=steps(
                today,
                """
-75 idea        on_track   0 Proposed by the board: reach marketplace shoppers.
-60 planned     on_track   0 Fee model and catalogue mapping scoped.
-34 dropped     off_track 10 Dropped: fees leave Electronics at a loss; revisit next year.
""",
            ),
        ),
        InitiativeSpec(
            key="live_chat",
            title="Live chat in checkout",
            description="A chat window with customer service on the checkout page.",
            owner="jonas",
            effort_weeks=1,
            krs=("completion",),
            start=on(-90),
            target=on(-60),
            lift=("checkout_completion_rate", 0.02),
            value=0.3,
            confidence=0.5,
            urgency=0.3,
            reach=50_000,
            history=steps(
                today,
                """
-92 planned     on_track   0 Test design agreed with customer service.
-85 in_progress on_track  30 Chat widget in an A/B test on checkout.
-62 dropped     on_track  60 Dropped: no lift on completion after four weeks; agent time is costly.
""",
            ),
        ),
    ]
