"""The routers of the JSON API, one module per caller: victims, platforms, moderators, admins,
operations."""
