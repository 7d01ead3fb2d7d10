"""The JSON API (FastAPI routers under /v1): schemas, auth dependencies, problem+json errors.

Thin by design: endpoints turn JSON into the service's types and back; decisions live in
`hashstop.service`. Nothing here renders HTML (that is `hashstop.web`) and nothing here imports
it; `hashstop.app` puts the two together.
"""
