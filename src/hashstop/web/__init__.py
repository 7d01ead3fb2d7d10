"""The browser-facing pages: the victim's pages, the moderators' /review pages, the API docs.

Server-rendered with Jinja2 (templates/), with this origin's own scripts and styles (static/:
the browser's hashing in JavaScript included). Pages read and change state only through
`hashstop.service`, with the request plumbing (database session, runtime, keys) of
`hashstop.api.deps`; the JSON API never imports this package.
"""
