"""The use cases of hashstop (cases, matching, the hash list, feedback, keys) and the index
lifecycle (load, follow the change log).

Services take a SQLAlchemy session and only flush: whoever owns the session (the API's request
dependency, the CLI) commits or rolls back. Errors are `DomainError`s that carry their HTTP
status; nothing here imports FastAPI.
"""
