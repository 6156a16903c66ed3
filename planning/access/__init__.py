"""Who may do what: people and roles, the permission predicates, password sign-in, API tokens and
share links.

It may import the kernel and `store`; every write elsewhere asks `permissions` before it acts.
"""
