"""The store: engine and short sessions, the table models (by concept in ``models*.py``, all
registered by ``tables.py``), migrations, data versions, the audit trail, backup and restore, and
the gate that says whether the store can be used.

It owns every table definition and may import only the kernel (clock, config, periods,
validation, formatting).
"""
