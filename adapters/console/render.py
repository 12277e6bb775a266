"""Plain-text rendering for the console: cards as boxes, buttons with their typed command."""

from __future__ import annotations

from bot.prompts import Renderer
from bot.replies import Card, Form, Reply


class ConsoleRenderer(Renderer):
    def card(self, card: Card) -> list[str]:
        lines = ["┌ " + self.render(card.title)]
        if card.url:
            lines.append("│ " + card.url)
        if card.body is not None:
            lines += ["│ " + line for line in self.render(card.body).splitlines()]
        for f in card.fields:
            first, *more = self.render(f.value).splitlines() or [""]
            lines.append(f"│ {self.render(f.label)}: {first}")
            lines += [f"│   {line}" for line in more]
        for b in card.buttons:
            lines.append(f"│ [{self.render(b.label)}]  → /cop {b.command}")
        if card.footer is not None:
            lines.append("│ " + self.render(card.footer))
        lines.append("└")
        return lines

    def form(self, form: Form) -> list[str]:
        lines = ["┌ " + self.render(form.title)]
        if form.intro is not None:
            lines.append("│ " + self.render(form.intro))
        for f in form.fields:
            lines.append(f"│ {f.name}=…  {self.render(f.label)}")
        lines.append(
            f"└ type: /cop {form.command} " + " ".join(f'{f.name}="…"' for f in form.fields)
        )
        return lines

    def reply(self, reply: Reply) -> list[str]:
        lines = self.render(reply.text).splitlines() if reply.text else []
        if reply.card is not None:
            lines += self.card(reply.card)
        if reply.form is not None:
            lines += self.form(reply.form)
        for a in reply.attachments:
            lines.append(f"📎 {a.filename} ({len(a.content)} bytes)")
            if a.mime.startswith("text/"):
                lines += ["    " + line for line in a.content.decode("utf-8").splitlines()]
        return lines
