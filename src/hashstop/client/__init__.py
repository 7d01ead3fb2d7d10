"""The victim's side: commands that run on their own device (hashing; later, submitting).

The client depends on `hashstop.hashing` only; it never imports the service.
"""
