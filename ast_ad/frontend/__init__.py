"""The front end: a Python function in, its evaluation trace out (parse, check, lower)."""
