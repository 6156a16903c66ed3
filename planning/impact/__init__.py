"""What shipped work did: the impact ledger (expected against measured lift around each ship date)
and the calibration suggestions drawn from it.

It may import the kernel, `store`, `access`, `metrics` and `work`.
"""
