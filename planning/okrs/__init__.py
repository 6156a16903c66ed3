"""Objectives and key results: their reads (goal_reads), the rules a goal meets before it is
written (goal_rules) and the audited writes (goals); the pure OKR maths (maths: progress, pace,
status, forecast, grade); evaluation against live metrics (evaluation, with evaluation_reads,
evaluation_rules, evaluation_rollup, evaluation_text and evaluation_results); the KR chart track
(track); the OKR YAML file (file_format, file_reading, file_import); quarter close and drafting
the next quarter (quarter_close, quarter_draft); starting a quarter from an OKR template in
config/templates/ (templates); and a new KR's defaults (kr_defaults).

It may import the kernel, `store`, `access` and `metrics`.
"""
