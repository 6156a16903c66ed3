"""Nudges that reach people: who is told what and when, the outbox that sends each message once,
the channels (email and chat, through Apprise), each person's preferences and the signed links
that open This week at the owed item's form.

- `schedule`: the pure rules (check-in day, escalation one cycle later, digest day, who hears);
- `links`: signed, expiring, single-purpose links (HMAC) that pick a form and grant nothing else;
- `secrets`: channel URLs and the link secret, read only from the environment or
  .streamlit/secrets.toml, never stored;
- `compose`: a message's subject, plain text, HTML and chat Markdown, user text escaped for each;
- `preferences`: each person's channel, pause and opt-out (permission-checked, audited);
- `outbox`: the table's rows planned once per dedupe key, claimed atomically, retried with
  back-off and recorded with their outcome;
- `channels`: delivery through Apprise with a timeout;
- `run`: what is due now (`plan_due`), the dry run, and `run_due_notifications(engine, config)`.

It may import the kernel and `store`, `access`, `metrics`, `okrs`, `work`, `impact` and `reports`,
never `demo`, `startup` or `cli`.
"""
