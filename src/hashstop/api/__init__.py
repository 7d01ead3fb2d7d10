"""The HTTP API (FastAPI): routers, schemas, auth dependencies, problem+json errors.

Thin by design: endpoints turn JSON into the service's types and back; decisions live in
`hashstop.service`.
"""

from hashstop.api.app import create_app

__all__ = ["create_app"]
