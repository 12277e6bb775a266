"""Meetings: schedule, reminders, RSVPs, host rotation, agenda, notes (see its issue)."""
