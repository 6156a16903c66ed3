"""The trash: deleting objectives, key results and initiatives into it with every row linked to
them (`bin`), restoring them with those links, purging what has waited 30 days, and what the Trash
view lists (`listing`), archived objectives and key results included, and why a kept row could
not come back, in the reader's language (`reasons`).

It may import the kernel, `store`, `access`, `metrics`, `okrs` and `work`.
"""
