"""The page routers, one module per audience: victims, moderators (matches, hashes), API docs."""
