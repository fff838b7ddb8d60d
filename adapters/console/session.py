"""The console REPL: type commands as any member, fill forms, press buttons, fast-forward time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from adapters.console.files import FileDrop
from adapters.console.lines import Interrupted, LineSource
from adapters.console.render import render_message
from bot.app import Crossfade
from bot.clock import MovableClock
from bot.engine import Engine
from bot.messages import Form, FormField, Message, Response
from bot.models import Actor

PLATFORM = "console"
COMMUNITY = "console"
_DURATION = re.compile(r"(\d+)\s*(w|d|h|m)")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
# Far enough to see a whole sprint and its summaries; beyond, the calendar itself runs out.
MAX_ADVANCE = timedelta(weeks=52)

CONSOLE_HELP = (
    "Console: /as <name> [admin|member] switch member · /channel <name> switch channel · "
    "/advance 7d fast-forward (w, d, h, m) · /press <n> press a button · /whoami · /quit"
)


def parse_duration(raw: str) -> timedelta | None:
    """Read ``7d``, ``2h30m`` or ``1w``; None if it isn't a duration."""
    cleaned = raw.replace(" ", "").lower()
    parts = _DURATION.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        return None
    try:
        return timedelta(**{_UNITS[u]: sum(int(n) for n, x in parts if x == u) for _, u in parts})
    except (OverflowError, ValueError):
        return timedelta.max  # more than any fast-forward; the caller says how far it may go


class ConsoleSession:
    """One terminal session in the console community."""

    def __init__(
        self,
        core: Crossfade,
        engine: Engine,
        clock: MovableClock,
        source: LineSource,
        write: Callable[[str], None],
        files: FileDrop,
    ) -> None:
        self.core = core
        self.engine = engine
        self.clock = clock
        self.source = source
        self.write = write
        # Where the files replies carry are written (beside the database).
        self.files = files
        self.member = "host"
        self.admin = True
        # Who is an admin here, as a platform would remember its roles: /as keeps them.
        self._admins = {"host"}
        self.channel = "general"
        # The current member's zone, for channel posts printed between commands.
        self.zone = "UTC"
        self._buttons: dict[str, str] = {}
        # A command typed at a form prompt: the form is cancelled and this runs next.
        self._typed_in_form: str | None = None

    def actor(self) -> Actor:
        """The current member as the core sees them."""
        return Actor(
            platform=PLATFORM,
            community_id=COMMUNITY,
            user_id=self.member.lower(),
            display_name=self.member,
            community_name="Console",
            is_admin=self.admin,
            channel_id=self.channel,
        )

    def register_buttons(self, message: Message) -> list[str]:
        """Number a message's buttons so /press can find them."""
        ids = []
        for button in message.buttons:
            number = str(len(self._buttons) + 1)
            self._buttons[number] = button.action
            ids.append(number)
        return ids

    async def zone_name(self) -> str:
        """The current member's time zone name."""
        community, member = await self.core.store.ensure_member(self.actor(), self.clock.now())
        return member.timezone or community.default_timezone

    async def setup(self) -> None:
        """Give the console community its channels the first time, so summaries have a home."""
        community, _ = await self.core.store.ensure_member(self.actor(), self.clock.now())
        have = await self.core.store.channels(community.id)
        for purpose in self.core.registry.purposes.values():
            if purpose.name not in have:
                await self.core.store.set_channel(
                    community.id, purpose.name, purpose.default_channel
                )

    async def prompt(self) -> str:
        """The input prompt: who you are, where, and the time in your zone."""
        self.zone = await self.zone_name()
        local = self.clock.now().astimezone(ZoneInfo(self.zone)).strftime("%a %d %b %H:%M")
        return f"[{local}] {self.member}@#{self.channel}> "

    async def run(self) -> None:
        """Read and run lines until the input ends or /quit."""
        await self.setup()
        while True:
            try:
                line = await self.source.read(await self.prompt())
            except Interrupted:
                continue  # Ctrl-C drops the line being typed, as in a shell
            if line is None or not await self.handle(line):
                return

    async def handle(self, line: str) -> bool:
        """Run one line; False means quit."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith("/"):
            self.write("Commands start with / (try /help). " + CONSOLE_HELP)
            return True
        word, _, rest = line[1:].partition(" ")
        word = word.lower()
        if word in ("quit", "exit"):
            return False
        meta = {
            "as": self._as,
            "advance": self._advance,
            "press": self._press,
            "channel": self._channel,
            "whoami": self._whoami,
        }.get(word)
        if meta is not None:
            await meta(rest.strip())
        else:
            await self.show(await self.core.run_line(self.actor(), line))
            if word == "help":
                self.write(CONSOLE_HELP)
        # Deliver what the command queued (announcements, edits) right away.
        await self.engine.tick()
        typed, self._typed_in_form = self._typed_in_form, None
        return await self.handle(typed) if typed else True

    async def show(self, response: Response) -> None:
        """Print a response, running any form it opens."""
        zone = ZoneInfo(await self.zone_name())
        if response.message is not None:
            saved = self.files.save_all(response.message.attachments)
            lines = render_message(
                response.message,
                zone,
                self.clock.now(),
                self.register_buttons(response.message),
                [s.line() for s in saved],
            )
            if response.public:
                lines.insert(0, f"\u2500\u2500 #{self.channel} (everyone sees this) \u2500\u2500")
            self.write("\n".join(lines))
        if response.form is not None:
            follow = await self.fill(response.form)
            if follow is not None:
                await self.show(follow)

    async def _ask(self, form: Form, field: FormField) -> str | None:
        """One field's answer; None cancels the form (Ctrl-C, /cancel or another command)."""
        notes = []
        if field.choices:
            notes.append(", ".join(v for v, _ in field.choices))
        elif field.hint:
            notes.append(field.hint)
        if field.value:
            notes.append(f"Enter keeps: {field.value}")
        elif not field.required:
            notes.append("optional, Enter skips")
        prompt = f"  {field.label}" + (f" ({'; '.join(notes)})" if notes else "") + ": "
        while True:
            try:
                answer = await self.source.read(prompt)
            except Interrupted:
                return None
            if answer is None:
                return None
            if answer.strip().startswith("/"):
                # Not an answer: /cancel stops the form, any other command runs after it.
                if answer.strip().lower() != "/cancel":
                    self._typed_in_form = answer.strip()
                return None
            value = answer.strip() or field.value
            problem = await self.core.check_field(self.actor(), form.form_id, field.name, value)
            if problem is None:
                return value
            self.write(f"  \u2717 {problem}")

    async def fill(self, form: Form) -> Response | None:
        """Ask a form's fields one by one, then submit; None if cancelled."""
        self.write(
            f"\u250c {form.title} \u2014 fill in each field "
            "(/cancel or Ctrl-C stops, nothing is saved)"
        )
        values: dict[str, str] = {}
        fields = list(form.fields)
        while True:
            for field in fields:
                answer = await self._ask(form, field)
                if answer is None:
                    self.write("\u2514 Cancelled; nothing was saved.")
                    if self._typed_in_form:
                        self.write(f"  (running {self._typed_in_form.split()[0]} now)")
                    return None
                values[field.name] = answer
            response = await self.core.submit_form(self.actor(), form.form_id, values)
            if not response.field_errors:
                self.write("\u2514")
                return response
            for problem in response.field_errors.values():
                self.write(f"  \u2717 {problem}")
            fields = [f for f in form.fields if f.name in response.field_errors]

    async def _as(self, rest: str) -> None:
        words = rest.split()
        role_word = words[1].lower() if len(words) == 2 else None
        if (
            not words
            or len(words) > 2
            or not re.fullmatch(r"[A-Za-z][\w.-]{0,31}", words[0])
            or role_word not in (None, "admin", "member")
        ):
            self.write(
                "Usage: /as <name> [admin|member] \u2014 a name of letters, digits, . _ or -; "
                "a member keeps their role unless you name one"
            )
            return
        key = words[0].lower()
        was_admin = key in self._admins
        if role_word == "admin":
            self._admins.add(key)
        elif role_word == "member":
            self._admins.discard(key)
        self.member = words[0]
        self.admin = key in self._admins
        await self.core.store.ensure_member(self.actor(), self.clock.now())
        role = " (admin)" if self.admin else ""
        if was_admin != self.admin:
            role = " (now an admin)" if self.admin else " (no longer an admin)"
        self.write(f"You are now {self.member}{role}, in #{self.channel}.")

    async def _channel(self, rest: str) -> None:
        name = rest.lstrip("#").strip()
        if not re.fullmatch(r"[\w-]{1,40}", name):
            self.write("Usage: /channel <name>, e.g. /channel check-ins")
            return
        self.channel = name
        self.write(f"You are now in #{name}.")

    async def _whoami(self, rest: str) -> None:
        role = "admin" if self.admin else "member"
        self.write(f"{self.member} ({role}) in #{self.channel}, time zone {await self.zone_name()}")

    async def _press(self, rest: str) -> None:
        number = rest.strip().strip("[]")
        found = self._buttons.get(number)
        if found is None:
            if not number.isdecimal():
                self.write(
                    "Usage: /press <number> \u2014 the number shown in [brackets] on a button."
                )
            elif not self._buttons:
                self.write(f"There is no button [{number}]: no message has shown a button yet.")
            else:
                shown = f"[1]\u2013[{len(self._buttons)}]" if len(self._buttons) > 1 else "[1]"
                self.write(f"There is no button [{number}]. The buttons shown so far are {shown}.")
            return
        await self.show(await self.core.press(self.actor(), found))

    async def advance(self, delta: timedelta) -> None:
        """Move the clock forward, stopping at each due moment so everything fires on time."""
        await self.engine.run_until(self.clock, self.clock.now() + delta)

    async def _advance(self, rest: str) -> None:
        delta = parse_duration(rest)
        if delta is None or delta <= timedelta():
            self.write("Usage: /advance <duration>, e.g. /advance 7d, /advance 3h, /advance 1w2d")
            return
        if delta > MAX_ADVANCE:
            self.write("That's too far: /advance goes at most 52 weeks at a time (/advance 52w).")
            return
        await self.advance(delta)
        zone = ZoneInfo(await self.zone_name())
        self.write(f"\u23e9 Now {self.clock.now().astimezone(zone):%a %d %b %Y %H:%M %Z}.")
