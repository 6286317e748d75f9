"""The back end: generated source compiled into a function of the user's module."""
