"""The one registry every feature module registers its commands and jobs with."""

from bot.commands import Registry

REGISTRY = Registry()
command = REGISTRY.command
job = REGISTRY.job
forget = REGISTRY.forget
on = REGISTRY.on
agenda_slot = REGISTRY.agenda_slot
