"""Opening the store when the server starts (migrate, check it can be written, load the demo on a
first start) and the first-run setup that gives an empty store its first director and team.

It may import every domain layer and `demo`.
"""
