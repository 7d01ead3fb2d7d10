"""The victim's side: commands that run on their own device (hash, submit, status, add, withdraw).

The client depends on `hashstop.hashing` (and httpx, click, rich, platformdirs) only; it never
imports the service, its storage or its API.
"""
