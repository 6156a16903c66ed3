"""The demo shop: generated observations, the story of a quarter's team, and loading both into a
store so that every page has something true to show on a first run.

It may import every domain layer up to `reports`.
"""
