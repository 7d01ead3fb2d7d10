"""Storage: the tables of record, the queries on them, and the migrations that shape them.

Queries live here (repositories), not in the service or the API; nothing here decides policy.
"""
