"""The meetings part of `copbot demo`: console lines, exactly as a user would type them."""

LINES: list[str] = []
