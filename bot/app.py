"""The core's front door: adapters hand it commands, button presses and forms, and get Responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot import notices
from bot.clock import Clock
from bot.commands.args import Args
from bot.commands.registry import (
    TIMEZONE_SOURCE,
    Action,
    Choice,
    Command,
    Permission,
    Registry,
    Role,
)
from bot.commands.textline import parse_line
from bot.commands.values import parse_args, parse_value, timezone_matches
from bot.context import Context
from bot.drafts import FormDrafts
from bot.errors import OptionError, UserError
from bot.features import FEATURES
from bot.features.base import Feature, SuggestSource, purposes_of, suggestions_of
from bot.forms import FORM_PREFIX, fixed_form, form_for, split_form_id
from bot.links import PublicUrl
from bot.messages import Form, Message, Response, Tone, text
from bot.metrics import CRASH, USER_ERROR, Metrics
from bot.models import Actor, Member
from bot.native_interest import NativeInterest
from bot.storage.base import Store

log = logging.getLogger(__name__)

# Discord allows 25 autocomplete choices; Slack's external selects 100.
MAX_SUGGESTIONS = 25


def build_registry(features: Sequence[Feature] = FEATURES) -> Registry:
    """Every command and button of the features, declared once.

    Their channel purposes come first, so a command may offer them (/admin channel).
    """
    registry = Registry()
    for purpose in purposes_of(features).values():
        registry.add_purpose(purpose)
    for feature in features:
        feature.register(registry)
    return registry


def error_response(message: str, usage: str | None = None) -> Response:
    """A friendly one-line error, with the command's usage when it helps."""
    return Response(
        Message(
            title="",
            body=text(message),
            footer=text(f"Usage: {usage}") if usage else (),
            tone=Tone.ERROR,
        )
    )


class Crossfade:
    """The core: commands, buttons, forms and suggestions, platform-neutral."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        registry: Registry | None = None,
        features: Sequence[Feature] = FEATURES,
        on_queued: Callable[[], None] | None = None,
        public_url: PublicUrl | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        # What commands did and how long they took (/metrics).
        self.metrics = metrics or Metrics()
        self.clock = clock
        # Where links to the web app point (CROSSFADE_PUBLIC_URL).
        self.public_url = public_url or PublicUrl.local()
        self.features = tuple(features)
        self.registry = registry or build_registry(self.features)
        self._suggestions: dict[str, SuggestSource] = suggestions_of(self.features)
        _check_sources(self.registry, self._suggestions)
        # Called after a request so the scheduler can deliver what it queued right away.
        self._on_queued = on_queued or (lambda: None)
        # Interest shown on platforms' native events, answered as button presses.
        self.native = NativeInterest(store, clock, self.press, lambda: self._on_queued())
        # Members' forms filled in over several steps, in the store (any process continues).
        self.drafts = FormDrafts(store, clock)

    async def _context(self, actor: Actor) -> Context[Any]:
        now = self.clock.now()
        community, member = await self.store.ensure_member(actor, now)
        return Context(
            self.store, self.registry, now, actor, community, member, public_url=self.public_url
        )

    async def run(
        self,
        actor: Actor,
        command: Command,
        raw: Mapping[str, object],
        *,
        forms: bool = True,
    ) -> Response:
        """Run a command with raw option values (as typed, or as a platform delivered them).

        With ``forms``, a command missing required options answers with a form to fill in;
        otherwise with a message naming what is missing.
        """
        with self.metrics.command(command.name) as outcome:
            try:
                return await self._run(actor, command, raw, forms=forms)
            except UserError as exc:
                outcome.result = USER_ERROR
                return error_response(exc.message, exc.usage or command.usage())
            except Exception:
                outcome.result = CRASH
                return self._crash(f"/{command.name}")

    async def _run(
        self, actor: Actor, command: Command, raw: Mapping[str, object], *, forms: bool
    ) -> Response:
        ctx = await self._context(actor)
        await _may_run(ctx, command)
        missing = [
            o.name
            for o in command.options
            if o.required and (raw.get(o.name) is None or str(raw.get(o.name)).strip() == "")
        ]
        if not raw and forms and command.prefill is not None:
            # A bare edit command opens its form showing the current values.
            return await self._form(ctx, command)
        if missing and forms and command.form_when_incomplete:
            if command.precheck is not None:
                await command.precheck(ctx)
            if not raw:
                # A bare command is a request for its form, filled with what is saved.
                return Response(form=form_for(command, await self._prefill(ctx, command)))
            notice = error_response(
                f"/{command.name} needs {', '.join(missing)}: fill in the form.",
                command.usage(),
            )
            return Response(message=notice.message, form=form_for(command, raw))
        args = await self._parse(ctx, command, raw)
        return await self._handle(ctx, command, args)

    async def run_line(self, actor: Actor, line: str, *, forms: bool = True) -> Response:
        """Run a typed command line such as ``/sprint start goal:"…" weeks:10``."""
        try:
            parsed = parse_line(self.registry, line)
        except UserError as exc:
            return error_response(exc.message, exc.usage)
        return await self.run(actor, parsed.command, parsed.raw, forms=forms)

    async def _parse(self, ctx: Context[Any], command: Command, raw: Mapping[str, object]) -> Args:
        async def find(ref: str) -> Member | None:
            return await self.store.find_member(ctx.community.id, ref)

        return await parse_args(command, raw, today=ctx.today, find_member=find)

    async def _prefill(self, ctx: Context[Any], command: Command) -> Mapping[str, object]:
        return await command.prefill(ctx) if command.prefill is not None else {}

    async def _form(self, ctx: Context[Any], command: Command) -> Response:
        if command.precheck is not None:
            await command.precheck(ctx)
        return Response(form=form_for(command, await self._prefill(ctx, command)))

    async def _handle(self, ctx: Context[Any], command: Command, args: Args) -> Response:
        response = await command.handler(ctx, args)
        self._on_queued()
        return response

    def _crash(self, where: str) -> Response:
        log.exception("unexpected error in %s", where)
        return error_response(notices.OOPS)

    async def press(self, actor: Actor, action_id: str) -> Response:
        """Handle a button press; ``action_id`` is what the core put on the button."""
        name, *args = action_id.split(":")
        try:
            ctx = await self._context(actor)
            if name == "form" and args:
                command = self.registry.get(args[0])
                if command is None:
                    raise UserError(notices.STALE_BUTTON)
                await _may_run(ctx, command)
                return await self._form(ctx, command)
            action = self.registry.actions.get(name)
            if action is None:
                raise UserError(notices.STALE_BUTTON)
            await _may_press(ctx, action, args)
            response = await action.handler(ctx, args)
            self._on_queued()
            return response
        except UserError as exc:
            return error_response(exc.message, exc.usage)
        except OverflowError:
            # A number no row can have reached the database (a forged or mangled button).
            log.warning("button %s carries a number out of range", name)
            return error_response(notices.STALE_BUTTON)
        except Exception:
            return self._crash(f"button {name}")

    def form_command(self, form_id: str) -> Command | None:
        """The command a form submits to."""
        if not form_id.startswith(FORM_PREFIX):
            return None
        return self.registry.get(split_form_id(form_id)[0])

    def blank_form(self, form_id: str) -> Form | None:
        """A form as first shown, without what was saved (a draft lost or expired)."""
        command = self.form_command(form_id)
        if command is None:
            return None
        fixed = split_form_id(form_id)[1]
        return fixed_form(command, fixed) if fixed else form_for(command, {})

    async def check_field(self, actor: Actor, form_id: str, name: str, value: str) -> str | None:
        """Check one form field as it is typed; returns the problem, or None if fine."""
        command = self.form_command(form_id)
        option = command.option(name) if command else None
        if option is None:
            return None
        if not value.strip():
            return f"{option.title} is required." if option.required else None
        ctx = await self._context(actor)
        try:
            await parse_value(
                option,
                value,
                ctx.today,
                lambda ref: self.store.find_member(ctx.community.id, ref),
            )
        except OptionError as exc:
            return exc.message
        return None

    async def submit_form(self, actor: Actor, form_id: str, values: Mapping[str, str]) -> Response:
        """Handle a submitted form: field errors come back per field, nothing is saved then."""
        command = self.form_command(form_id)
        if command is None:
            return error_response(notices.STALE_FORM)
        with self.metrics.command(command.name) as outcome:
            try:
                ctx = await self._context(actor)
                await _may_run(ctx, command)
                raw = _answers(form_id, values)
                try:
                    args = await self._parse(ctx, command, raw)
                    # A handler's rule about one field (a start date too far ahead) goes
                    # beside it.
                    return await self._handle(ctx, command, replace(args, from_form=True))
                except OptionError as exc:
                    if command.option(exc.option) is None:
                        raise
                    outcome.result = USER_ERROR
                    return Response(field_errors={exc.option: exc.message})
            except UserError as exc:
                outcome.result = USER_ERROR
                return error_response(exc.message)
            except Exception:
                outcome.result = CRASH
                return self._crash(f"form {form_id}")

    async def validate_form(
        self, actor: Actor, form_id: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Check a form's answers without acting on them: field name -> problem (empty if fine).

        For platforms that must answer a submission fast (Slack's 3 seconds): validate, answer,
        then ``submit_form`` the same values.
        """
        command = self.form_command(form_id)
        if command is None:
            return {}
        ctx = await self._context(actor)
        raw = _answers(form_id, values)
        try:
            await self._parse(ctx, command, raw)
        except OptionError as exc:
            return {exc.option: exc.message}
        except UserError:
            return {}
        return {}

    async def suggest(
        self, actor: Actor, command: Command, option: str, typed: str
    ) -> list[Choice]:
        """Suggestions for an option as it is being typed (autocomplete)."""
        opt = command.option(option)
        if opt is None or opt.suggest is None:
            return []
        if opt.suggest == TIMEZONE_SOURCE:
            found = timezone_matches(typed, MAX_SUGGESTIONS, when=self.clock.now())
            return [Choice(z, z) for z in found]
        source = self._suggestions.get(opt.suggest)
        if source is None:
            return []
        ctx = await self._context(actor)
        return (await source(ctx, typed))[:MAX_SUGGESTIONS]

    async def home(self, actor: Actor) -> Message:
        """The member's home card: the first feature's that has one for them."""
        ctx = await self._context(actor)
        for feature in self.features:
            if feature.home is not None and (card := await feature.home(ctx)) is not None:
                return card
        return Message(title=f"Welcome, {ctx.member.display_name}", body=text("Type /help."))

    def now(self) -> datetime:
        """The core's current time."""
        return self.clock.now()


async def _may_run(ctx: Context[Any], command: Command) -> None:
    """Refuse, before anything else, a command the caller may not run."""
    permission = command.permission
    if isinstance(permission, Role):
        if not await permission.allows(ctx, []):
            raise UserError(permission.refusal)
    elif permission is Permission.ADMIN and not ctx.actor.is_admin:
        raise UserError(f"/{command.name} is for community admins only.")


async def _may_press(ctx: Context[Any], action: Action, args: list[str]) -> None:
    """Refuse, before its handler runs, a button the caller may not press."""
    permission = action.permission
    if isinstance(permission, Role):
        if not await permission.allows(ctx, args):
            raise UserError(permission.refusal)
    elif permission is Permission.ADMIN and not ctx.actor.is_admin:
        raise UserError("That button is for community admins only.")


def _answers(form_id: str, values: Mapping[str, str]) -> dict[str, str]:
    """A form's filled-in answers, with the values its id fixes (those win over any typed)."""
    raw = {k: v for k, v in values.items() if v is not None and str(v).strip() != ""}
    return raw | split_form_id(form_id)[1]


def _check_sources(registry: Registry, sources: Mapping[str, SuggestSource]) -> None:
    """Every option's type-ahead source must exist: a typo would silently suggest nothing."""
    for command in registry:
        for option in command.options:
            known = option.suggest in (None, TIMEZONE_SOURCE) or option.suggest in sources
            if not known:
                raise ValueError(
                    f"/{command.name} {option.name}: no feature declares the type-ahead "
                    f"source {option.suggest!r}"
                )
