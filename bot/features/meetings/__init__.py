"""Meetings: schedule (one-off or a recurring series), durable reminders, RSVPs, host
rotation, agenda, notes for absentees and iCalendar export.

Importing this package registers its settings, commands and scheduled jobs. Other features
use ``bot.features.meetings.api`` only.
"""

from bot.features.meetings import commands, hosts, jobs, settings  # noqa: F401
