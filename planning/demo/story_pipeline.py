"""The demo quarter's planned, proposed and dropped initiatives with their status updates."""

from __future__ import annotations

from datetime import date

from planning.demo.story_initiatives import InitiativeSpec, Story, build_initiatives

# The columns of story_initiatives.build_initiatives; days count from today.
PIPELINE = """
# key           owner wk  val conf urg  reach start due ship lift                        share
loyalty         lucas 4   0.8 0.5  0.3  80000    21 110    - orders                      0.03
site_search     ana   1   0.5 0.8  0.5  90000     7  45    - conversion_rate             0.015
home_margin_mix ana   1   0.6 0.5  0.6  60000     3  35    - gross_margin_pct            0.03
sticky_cart     priya 0.5 0.4 0.8  0.5 100000    12  20    - conversion_rate             0.01
funnel_tracking jonas 0.5 0.4 1.0  0.5   1000     5  19    - -                           -
bnpl            priya 1   0.5 0.5  0.3  60000     -   -    - aov                         0.03
beauty_howto    tom   1.5 0.4 0.5  0.2  40000     -   -    - sessions                    0.01
back_in_stock   lucas 0.5 0.4 0.8  0.4  20000     -   -    - email_revenue_per_recipient 0.03
home_bundles    ana   1   0.5 0.5  0.3  50000     -   -    - units_per_order             0.04
marketplace     maya  5   0.7 0.5  0.4 300000   -60  60    - net_revenue                 0.06
live_chat       jonas 1   0.3 0.5  0.3  50000   -90 -60    - checkout_completion_rate    0.02
"""
PIPELINE_STORIES: dict[str, Story] = {
    "loyalty": (
        "Loyalty programme pilot",
        "Points on orders and early access to sales for 5,000 customers.",
        "net_revenue",
        """
-40 idea        on_track   0 Proposed after the customer survey: points and early access.
-11 planned     on_track   0 Business case approved by finance; the pilot starts next month.
""",
    ),
    "site_search": (
        "Site search tuning",
        "Synonyms, typo tolerance and merchandised results for the top 200 queries.",
        "conversion",
        """
-30 idea        on_track   0 Zero-result searches at 11 %; synonyms and typo tolerance fix most.
-6  planned     on_track   0 Scheduled once the recommendations pilot frees merchandising time.
""",
    ),
    "home_margin_mix": (
        "Home range margin mix",
        "Lead Home with own-brand textiles rather than branded small appliances.",
        "home_margin",
        """
-25 idea        on_track   0 Own-brand textiles earn twice the margin of small appliances.
-4  planned     on_track   0 Buying agreed the range list; merchandising rules ready next week.
""",
    ),
    "sticky_cart": (
        "Mobile cart: sticky checkout button",
        "Keep the checkout button in view while shoppers scroll the cart on phones.",
        "mobile_abandonment",
        """
-19 idea        on_track   0 Heatmaps show mobile shoppers scrolling past the checkout button.
-8  planned     on_track   0 Design ready; scheduled after guest checkout ships.
""",
    ),
    "funnel_tracking": (
        "Checkout funnel instrumentation",
        "Track validation and payment errors in checkout so failed sessions can be explained.",
        "completion",
        """
-15 idea        on_track   0 Checkout errors are not tracked; we cannot see why sessions fail.
-7  planned     on_track   0 Event spec agreed with engineering.
""",
    ),
    "bnpl": (
        "Buy now, pay later at checkout",
        "Offer instalments through a payment provider on orders over $150.",
        "aov conversion",
        """
-33 idea        on_track   0 Two providers pitched; fees of 3–6 % of order value.
-13 idea        on_track   0 Scored in weekly planning; waiting for finance's view on fees.
""",
    ),
    "beauty_howto": (
        "Shoppable how-to content for Beauty",
        "Short how-to videos with tagged products on Beauty category pages.",
        "organic_sessions completeness",
        """
-26 idea        on_track   0 A supplier offered footage for how-to videos.
-10 idea        on_track   0 Effort estimated with the studio: five person-weeks.
""",
    ),
    "back_in_stock": (
        "Back-in-stock alerts",
        "Let shoppers ask for an email when a sold-out product returns.",
        "net_revenue",
        """
-20 idea        on_track   0 Sold-out pages get 4 % of product views.
-9  idea        on_track   0 The email tool supports it; it needs an hourly stock feed.
""",
    ),
    "home_bundles": (
        "Bundle builder for Home textiles",
        "Build a bed set from sheets, covers and pillows at a bundle price.",
        "aov units_per_order",
        """
-18 idea        on_track   0 A third of Home orders hold bed-set pieces bought separately.
-5  idea        on_track   0 Waits for the recommendations pilot's results.
""",
    ),
    "marketplace": (
        "Marketplace expansion",
        "List Electronics and Home on a large marketplace.",
        "net_revenue",
        """
-75 idea        on_track   0 Proposed by the board: reach marketplace shoppers.
-60 planned     on_track   0 Fee model and catalogue mapping scoped.
-34 dropped     off_track 10 Dropped: fees leave Electronics at a loss; revisit next year.
""",
    ),
    "live_chat": (
        "Live chat in checkout",
        "A chat window with customer service on the checkout page.",
        "completion",
        """
-92 planned     on_track   0 Test design agreed with customer service.
-85 in_progress on_track  30 Chat widget in an A/B test on checkout.
-62 dropped     on_track  60 Dropped: no lift on completion after four weeks; agent time is costly.
""",
    ),
}


def pipeline_initiatives(today: date) -> list[InitiativeSpec]:
    """The planned initiatives, the ideas still to triage and the dropped ones."""
    return build_initiatives(PIPELINE, PIPELINE_STORIES, {}, today)
