"""Objectives and key results: their reads and audited writes, the pure OKR maths (progress,
pace, status, forecast, grade), evaluation against live metrics, the KR chart track, the OKR
YAML file format, quarter close and drafting the next quarter, and a new KR's defaults.

It may import the kernel, `store`, `access` and `metrics`.
"""
