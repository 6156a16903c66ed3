"""What people read without asking, and what they take into a meeting: each person's This week,
the director's weekly digest, and the exports (the Goals report, the roadmap and the impact
ledger as PDF, PNG and SVG, from the pages' own chart specs; vl-convert draws the charts, fpdf2
writes the PDFs).

It may import every domain layer below it (`store` to `impact`), never `demo`, `startup` or `cli`.
"""
