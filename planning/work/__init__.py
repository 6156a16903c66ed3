"""The work that moves key results: initiatives (created and edited in `initiatives`, status
updates, drops and idea triage in `status_updates`, statuses and their moves in
`initiative_status`, field checks in `initiative_input`, reads in `initiative_reads`), the scoring
frameworks, the ranked backlog and its planning-table edits, the weekly plan, decisions, capacity
(the pure rules in `capacity_maths`, the team's load read from the store in `capacity`), the
roadmap, the dependencies between initiatives with their critical paths (`dependencies`), bulk
edits of many initiatives (`bulk_edit`), undoing the last planning-table save (`planning_undo`)
and which key-result links an edit keeps (`initiative_links`).

It may import the kernel, `store`, `access` and `metrics`; it does not depend on `okrs`.
"""
