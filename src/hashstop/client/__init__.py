"""The victim's side, as a library: fingerprint files on the device, talk to the case API, keep
receipts. The commands that use it are in `hashstop.cli`.

The client depends on `hashstop.hashing` (and httpx, rich, platformdirs) only; it never imports
the service, its storage, its API or its pages.
"""
