"""What a chat message's reader sees of text a person typed: the exact payload Apprise would post
to Slack and to a Teams workflow (built, never sent), for hostile and ordinary titles."""

from __future__ import annotations

import json
from typing import Any

import apprise.plugins.slack
import apprise.plugins.workflows
import pytest

from planning.formatting import WORD_JOINER
from planning.notify import compose
from planning.notify.channels import deliver
from planning.notify.schedule import UPDATE, OwedItem
from planning.notify.secrets import NotifySecrets
from planning.store.models_notify import OutboxMessage

SLACK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TEAMS = "workflow://prod-01.westus.logic.azure.com/qd-flow-1/s1gnature"
FORM = "https://quarterdeck.example/this_week?nudge=abc"


class _Posted:
    status_code = 200
    content = b"ok"
    text = "ok"


def _payload(monkeypatch: pytest.MonkeyPatch, channel: str, title: str) -> dict[str, Any]:
    """The JSON Apprise would post for Ana's reminder about `title` on `channel`."""
    posts: list[dict[str, Any]] = []

    def post(*_args: object, data: str | None = None, **_kwargs: object) -> _Posted:
        posts.append(json.loads(data or "{}"))
        return _Posted()

    # Slack's plugin calls requests.request("post", …), the Teams workflow one requests.post.
    monkeypatch.setattr(apprise.plugins.slack.requests, "request", post)
    monkeypatch.setattr(apprise.plugins.workflows.requests, "post", post)
    item = OwedItem(key="update:1", kind=UPDATE, item_id=1, title=title, context="blocked", days=9)
    content = compose.reminder(name="Ana", week="2026-W48", company="Shop", items=[(item, FORM)])
    message = OutboxMessage(
        dedupe_key="k",
        person_id=1,
        kind="reminder",
        week="2026-W48",
        channel=channel,
        subject=content.subject,
        body_text=content.text,
        body_html=content.html,
        body_markdown=content.markdown,
    )
    urls = {"slack": SLACK, "teams": TEAMS}
    secrets = NotifySecrets(urls=urls, link_secret=b"a-test-link-secret-0123456789")
    assert deliver(message=message, email="", secrets=secrets, timeout=1).ok
    [payload] = posts
    return payload


def _slack_text(payload: dict[str, Any]) -> str:
    """The mrkdwn Slack renders: the attachment's text (a webhook URL posts a legacy message)."""
    assert payload["mrkdwn"] is True
    [attachment] = payload["attachments"]
    return str(attachment["text"])


def _teams_text(payload: dict[str, Any]) -> str:
    card = payload["attachments"][0]["content"]
    return next(block["text"] for block in card["body"] if block.get("id") == "body")


@pytest.mark.parametrize(
    ("title", "slack_shows"),
    [
        # Slack shows a backslash as typed (mrkdwn has no escapes): none before : . % or -.
        ("Checkout v2: faster", "**Checkout v2: faster**"),
        ("Q1: 5.5% up", "**Q1: 5.5% up**"),
        ("One-page + 8.0 % #1!", "**One-page + 8.0 % #1!**"),
        # An underscore inside a word formats nothing in Slack or Teams.
        ("a_b_c", "**a_b_c**"),
        # & < > are entities: a typed mention or link is text.
        ("<!channel>", "**&lt;!channel&gt;**"),
        ("Tom & Jerry", "**Tom &amp; Jerry**"),
    ],
)
def test_slack_shows_a_typed_title_as_typed_with_no_stray_backslash(
    monkeypatch: pytest.MonkeyPatch, title: str, slack_shows: str
) -> None:
    text = _slack_text(_payload(monkeypatch, "slack", title))
    # The reminder's own ** around the title becomes Slack's bold.
    assert slack_shows.replace("**", "*") in text
    assert "\\" not in text


def test_a_typed_link_or_mention_never_becomes_one_in_slack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack's control sequences start with "<": every typed one arrives as &lt;, and a typed
    address carries a word joiner after "://" so the client does not link it either."""
    hostile = ["<!channel>", "<https://evil|click>", "[click](https://evil)", "<@U123>"]
    # A typed backslash must not cancel the escape of the < after it.
    for title in [*hostile, r"C:\temp \<!here>"]:
        text = _slack_text(_payload(monkeypatch, "slack", title))
        typed = text.split("*")[1]  # the title, between the reminder's bold marks
        assert "<" not in typed and ">" not in typed and "://" not in typed
    text = _slack_text(_payload(monkeypatch, "slack", "<https://evil|click>"))
    assert f"&lt;https:{WORD_JOINER}//evil|click&gt;" in text
    # The reminder's own link stays a link.
    assert f"<{FORM}|Open the form>" in text


def test_typed_formatting_stays_text_and_only_there_keeps_its_backslash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack has no escape for * _ ~ `: a typed "*bold*" keeps the backslashes that stop Apprise
    and Slack from making it bold; Teams (CommonMark) shows it as typed."""
    slack = _slack_text(_payload(monkeypatch, "slack", "*bold* _it_ ~st~ `c`"))
    assert r"\*bold\* \_it\_ \~st\~ \`c\`" in slack
    teams = _teams_text(_payload(monkeypatch, "teams", "*bold* _it_ ~st~ `c`"))
    assert r"\*bold\* \_it\_ \~st\~ \`c\`" in teams


@pytest.mark.parametrize(
    ("title", "teams_body"),
    [
        ("Checkout v2: faster", "**Checkout v2: faster**"),
        ("Q1: 5.5% up", "**Q1: 5.5% up**"),
        ("a_b_c", "**a_b_c**"),
        ("<!channel>", r"**\<!channel\>**"),
        ("<at>Everyone</at>", r"**\<at\>Everyone\</at\>**"),
        ("[click](https://evil)", rf"**\[click\](https:{WORD_JOINER}//evil)**"),
    ],
)
def test_teams_gets_the_title_escaped_only_where_its_markdown_would_act(
    monkeypatch: pytest.MonkeyPatch, title: str, teams_body: str
) -> None:
    payload = _payload(monkeypatch, "teams", title)
    assert teams_body in _teams_text(payload)
    # A raw <at>…</at> is what Apprise turns into a Teams mention: never from typed text.
    assert "entities" not in payload["attachments"][0]["content"]["msteams"]
