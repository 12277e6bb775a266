"""Rapid pairing: scheduled rounds between meetings and live sessions during one.

Importing the package registers its commands, jobs, setting and forget-me hook.
``matching`` is the pure matcher; ``records`` the records and repository protocol.
"""

from bot.features.pairing import live, scheduled  # noqa: F401
