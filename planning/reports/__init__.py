"""What people read without asking: each person's This week and the director's weekly digest.

It may import every domain layer below it (`store` to `impact`), never `demo`, `startup` or `cli`.
"""
