"""The Slack adapter over HTTP: signed slash commands, buttons and modals, end to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest

from adapters.slack.people import Profile
from bot import notices
from bot.messages import Response
from bot.models import Actor
from tests import slack_stack as stack_module
from tests.fakes.slack_fake import DEFAULT_TEAM_ID, SIGNATURE_MAX_AGE_SECONDS, SlackFake
from tests.slack_stack import SlackStack, assert_payloads_valid, buttons_of, texts_of

slack_stack = stack_module.slack_stack

START_ARGS = (
    'start goal:"Mix a 7.1.4 demo room" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute online workshop" weeks:6'
)


@pytest.mark.asyncio
async def test_command_modal_submission_database_message(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", real_name="Alice Wu", tz="America/New_York")

    reply, response_url = await slack_stack.command("start")
    assert (reply.status, reply.body) == (200, "")  # acknowledged at once, work after
    opened = await fake.wait_for("views.open")
    view = opened.params["view"]
    fields = {b["block_id"]: b for b in view["blocks"]}
    assert list(fields) == ["goal", "skill", "deliverable", "deliverable-note", "start", "weeks"]
    assert fields["deliverable"]["element"]["type"] == "static_select"
    assert not fields["goal"]["optional"]
    assert fields["weeks"]["optional"]

    values = {
        "goal": "Mix a 7.1.4 demo room",
        "skill": "spatial mixing",
        "deliverable": "workshop",
        "deliverable-note": "A 45-minute online workshop",
        "weeks": "99",
    }
    rejected = await slack_stack.submit(view, values)
    assert rejected.status == 200
    errors = rejected.json()
    assert errors["response_action"] == "errors"
    assert list(errors["errors"]) == ["weeks"]
    assert "26" in errors["errors"]["weeks"]
    member = await slack_stack.member("U0ALICE", "Alice Wu")
    assert await slack_stack.store.active_sprint(member.id) is None

    accepted = await slack_stack.submit(view, {**values, "weeks": "6"})
    assert (accepted.status, accepted.body) == (200, "")
    answer = await fake.wait_for_response(response_url)
    assert answer.body["response_type"] == "ephemeral"
    assert "Sprint started: Mix a 7.1.4 demo room" in texts_of(answer.body["blocks"])

    sprint = await slack_stack.store.active_sprint(member.id)
    assert sprint is not None
    assert sprint.weeks == 6
    assert sprint.skill == "spatial mixing"
    # The member's zone came from users.info.
    assert (await slack_stack.member("U0ALICE", "Alice Wu")).timezone == "America/New_York"
    assert assert_payloads_valid(fake) >= 2


@pytest.mark.asyncio
async def test_typed_arguments_run_without_a_modal(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", real_name="Alice Wu")

    _, url = await slack_stack.command(START_ARGS)
    answer = await fake.wait_for_response(url)
    assert "Sprint started: Mix a 7.1.4 demo room" in texts_of(answer.body["blocks"])
    assert fake.calls("views.open") == []

    _, url = await slack_stack.command("status")
    status = await fake.wait_for_response(url)
    assert len(fake.calls("users.info")) == 1  # cached between requests
    shown = texts_of(status.body["blocks"])
    assert "Mix a 7.1.4 demo room" in shown
    assert "1 of 6" in shown
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_slash_commands_are_acknowledged_before_the_work(
    slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE")
    release = asyncio.Event()
    real_run_line = slack_stack.core.run_line

    async def slow_run_line(actor: Actor, line: str, *, forms: bool = True) -> Response:
        await release.wait()  # the core is busy until the test says so
        return await real_run_line(actor, line, forms=forms)

    monkeypatch.setattr(slack_stack.core, "run_line", slow_run_line)
    reply, url = await slack_stack.command("status")
    assert (reply.status, reply.body) == (200, "")  # Slack got its ack while the core works
    assert fake.response_posts(url) == []
    release.set()
    answer = await fake.wait_for_response(url)
    assert "no active sprint" in texts_of(answer.body["blocks"])


@pytest.mark.asyncio
async def test_bad_input_gets_a_friendly_reply(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE")

    _, url = await slack_stack.command('start goal:"unclosed')
    answer = await fake.wait_for_response(url)
    shown = texts_of(answer.body["blocks"])
    assert "quote is not closed" in shown
    assert "Traceback" not in shown

    _, url = await slack_stack.command("fly", command="/sprint")
    unknown = await fake.wait_for_response(url)
    assert "I don't know the command /sprint fly" in texts_of(unknown.body["blocks"])


@pytest.mark.asyncio
async def test_admin_assigns_the_channel_it_is_run_in(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", real_name="Ada", is_admin=True)
    fake.add_user("U0ALICE", real_name="Alice")

    _, url = await slack_stack.command(
        "channel purpose:checkins", command="/admin", user="U0ALICE", channel="C0CHECKINS"
    )
    refused = await fake.wait_for_response(url)
    assert refused.body["response_type"] == "ephemeral"
    assert "admins only" in texts_of(refused.body["blocks"])

    _, url = await slack_stack.command(
        "channel purpose:checkins", command="/admin", user="U0ADMIN", channel="C0CHECKINS"
    )
    done = await fake.wait_for_response(url)
    assert done.body["response_type"] == "in_channel"  # the core made it public
    assert "Channel set" in texts_of(done.body["blocks"])
    admin = await slack_stack.member("U0ADMIN", "Ada")
    channels = await slack_stack.store.channels(admin.community_id)
    assert dict(channels) == {"checkins": "C0CHECKINS"}


@pytest.mark.asyncio
async def test_mentions_in_user_text_never_ping(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", real_name="Ada", is_admin=True)
    fake.add_user("U0ALICE", name="<!channel> Alice")
    _, url = await slack_stack.command(
        "channel purpose:announcements", command="/admin", user="U0ADMIN", channel="C0NEWS"
    )
    await fake.wait_for_response(url)

    # What Slack sends when someone types @channel, @here and a user group (should_escape).
    _, url = await slack_stack.command(
        'start goal:"<!channel> hear <!here> this <!subteam^S123|@audio-team> &lt;!everyone&gt;" '
        'skill:mixing deliverable:other deliverable-note:"<@U0BOB|bob> see https://x.example/a?b=1&amp;c=2"'
    )
    await fake.wait_for_response(url)
    await slack_stack.engine.tick()  # deliver the announcement the core queued
    post = await fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0NEWS"
    shown = texts_of(post.params["blocks"]) + post.params["text"]
    for ping in ("<!channel", "<!here", "<!everyone", "<!subteam", "<@U0BOB"):
        assert ping not in shown
    assert "&lt;!channel&gt; Alice started" in shown  # a hostile display name stays text
    assert "@channel hear @here this @audio-team &lt;!everyone&gt;" in shown
    assert "<https://x.example/a?b=1&amp;c=2>" in shown  # still a working link
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_help_lists_commands_within_block_limits(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", is_admin=True)
    _, url = await slack_stack.command("", command="/help", user="U0ADMIN")
    answer = await fake.wait_for_response(url)
    shown = texts_of(answer.body["blocks"])
    for name in ("/sprint start", "/checkin", "/admin channel", "/journey"):
        assert name in shown
    assert_payloads_valid(fake)


@pytest.mark.asyncio
@pytest.mark.parametrize("problem", ["bad signature", "old timestamp"])
async def test_unsigned_or_stale_requests_are_rejected(
    slack_stack: SlackStack, problem: str
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE")
    before = len(fake.calls())
    if problem == "bad signature":
        reply, url = await slack_stack.command(START_ARGS, secret="not-the-signing-secret")
    else:
        stale = int(time.time()) - SIGNATURE_MAX_AGE_SECONDS - 60
        reply, url = await slack_stack.command(START_ARGS, timestamp=stale)
    assert reply.status == 401
    # Nothing happened: no Slack calls, no reply, nobody recorded.
    assert len(fake.calls()) == before
    assert fake.response_posts(url) == []
    member = await slack_stack.member("U0ALICE", "probe")
    assert await slack_stack.store.member_sprints(member.id) == []


@pytest.mark.asyncio
async def test_app_home_shows_the_card_and_its_buttons_work(slack_stack: SlackStack) -> None:
    fake: SlackFake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice Wu", tz="Europe/Berlin")

    reply = await slack_stack.home_opened("U0ALICE")
    assert reply.status == 200
    published = await fake.wait_for("views.publish")
    home = published.params["view"]
    assert published.params["user_id"] == "U0ALICE"
    assert home["type"] == "home"
    assert "Welcome, Alice Wu" in texts_of(home["blocks"])
    start = buttons_of(home["blocks"])["Start a sprint"]

    await slack_stack.click(start, view={"type": "home", "id": "VHOME"})
    modal = (await fake.wait_for("views.open")).params["view"]
    assert modal["title"]["text"] == "Start a sprint"
    accepted = await slack_stack.submit(
        modal,
        {
            "goal": "Binaural monitoring",
            "skill": "binaural",
            "deliverable": "video-series",
            "deliverable-note": "Three short videos",
        },
    )
    assert accepted.status == 200
    # The answer goes to the app's DMs (Home has no channel), and Home refreshes.
    dm = await fake.wait_for("chat.postMessage")
    assert dm.response["channel"] == fake.dm_channel_for("U0ALICE")
    assert "Sprint started: Binaural monitoring" in texts_of(dm.params["blocks"])
    refreshed = (await fake.wait_for("views.publish", count=2)).params["view"]
    shown = texts_of(refreshed["blocks"])
    assert "Your sprint: Binaural monitoring" in shown
    assert "Streak" in shown
    assert_payloads_valid(fake)


@pytest.mark.asyncio
async def test_settings_show_channels_as_links_that_ping_nobody(slack_stack: SlackStack) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ADMIN", real_name="Ada", is_admin=True)
    _, url = await slack_stack.command(
        "channel purpose:checkins", command="/admin", user="U0ADMIN", channel="C0CHECKINS"
    )
    await fake.wait_for_response(url)

    _, url = await slack_stack.command("schedule", command="/admin", user="U0ADMIN")
    settings = await fake.wait_for_response(url)
    shown = texts_of(settings.body["blocks"])
    assert "<#C0CHECKINS>" in shown  # Slack shows #its-name, linked
    assert "not set" in shown  # no announcements channel yet
    assert_payloads_valid(fake)


async def _start_form(stack: SlackStack) -> tuple[dict[str, Any], str, dict[str, str]]:
    """Open the /sprint start modal; returns it, the command's response_url and good answers."""
    _, url = await stack.command("start")
    view = (await stack.fake.wait_for("views.open")).params["view"]
    values = {
        "goal": "Mix a 7.1.4 demo room",
        "skill": "spatial mixing",
        "deliverable": "workshop",
        "deliverable-note": "A 45-minute online workshop",
        "weeks": "6",
    }
    return view, url, values


@pytest.mark.asyncio
async def test_a_modal_is_acknowledged_in_time_while_slack_and_the_core_are_slow(
    slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice Wu", tz="America/New_York")
    view, url, values = await _start_form(slack_stack)
    community_id = (await slack_stack.member("U0ALICE", "placeholder")).community_id
    people = slack_stack.adapter.people
    people._cache.clear()  # as after a restart between opening the modal and submitting it

    lookups_free, core_free = asyncio.Event(), asyncio.Event()
    real_profile, real_submit = people.profile, slack_stack.core.submit_form

    async def slow_profile(user_id: str) -> Profile | None:
        await lookups_free.wait()  # users.info hangs until the test says so
        return await real_profile(user_id)

    async def busy_submit(actor: Actor, form_id: str, answers: Mapping[str, str]) -> Response:
        await core_free.wait()  # the database is busy until the test says so
        return await real_submit(actor, form_id, answers)

    monkeypatch.setattr(people, "profile", slow_profile)
    monkeypatch.setattr(slack_stack.core, "submit_form", busy_submit)

    # Wrong answers are shown under their field, checked without users.info.
    rejected = await asyncio.wait_for(slack_stack.submit(view, {**values, "weeks": "99"}), 2.5)
    assert list(rejected.json()["errors"]) == ["weeks"]

    # Good answers close the modal at once; the work waits for Slack and the database.
    accepted = await asyncio.wait_for(slack_stack.submit(view, values), 2.5)
    assert (accepted.status, accepted.body) == (200, "")
    assert fake.response_posts(url) == []
    member = await slack_stack.store.find_member(community_id, "U0ALICE")
    assert member is not None
    assert await slack_stack.store.active_sprint(member.id) is None
    lookups_free.set()
    core_free.set()
    answer = await fake.wait_for_response(url)
    assert "Sprint started: Mix a 7.1.4 demo room" in texts_of(answer.body["blocks"])
    # users.info ran after the ack: the member has their Slack name and zone.
    stored = await slack_stack.store.find_member(community_id, "U0ALICE")
    assert stored is not None
    assert (stored.display_name, stored.timezone) == ("Alice Wu", "America/New_York")


@pytest.mark.asyncio
async def test_a_form_check_that_runs_late_closes_the_modal_and_reports_by_message(
    slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice Wu")
    view, url, values = await _start_form(slack_stack)
    slack_stack.adapter.form_check_seconds = 0.05
    check_free, check_done = asyncio.Event(), asyncio.Event()

    async def stuck_check(actor: Actor, form_id: str, answers: Mapping[str, str]) -> dict[str, str]:
        await check_free.wait()
        check_done.set()
        return {}

    monkeypatch.setattr(slack_stack.core, "validate_form", stuck_check)
    reply = await slack_stack.submit(view, {**values, "weeks": "99"})
    assert (reply.status, reply.body) == (200, "")  # acknowledged without the check
    # submit_form checks again after the ack; the modal is gone, so a message says why.
    answer = await fake.wait_for_response(url)
    assert "26" in texts_of(answer.body["blocks"])
    member = await slack_stack.member("U0ALICE", "Alice Wu")
    assert await slack_stack.store.active_sprint(member.id) is None
    check_free.set()
    await check_done.wait()


@pytest.mark.asyncio
async def test_a_stale_form_and_a_failure_use_the_cores_wording(
    slack_stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice Wu")
    view, url, values = await _start_form(slack_stack)

    stale = await slack_stack.submit({**view, "private_metadata": "not ours"}, values)
    assert (stale.status, stale.body) == (200, "")
    dm = await fake.wait_for("chat.postMessage")
    assert dm.params["channel"] == "U0ALICE"
    assert notices.STALE_FORM in texts_of(dm.params["blocks"])

    async def broken(actor: Actor, form_id: str, answers: Mapping[str, str]) -> Response:
        raise RuntimeError("the adapter's own bug")

    monkeypatch.setattr(slack_stack.core, "submit_form", broken)
    await slack_stack.submit(view, values)
    answer = await fake.wait_for_response(url)
    assert notices.OOPS in texts_of(answer.body["blocks"])
    assert "RuntimeError" not in texts_of(answer.body["blocks"])


@pytest.mark.asyncio
async def test_a_failing_users_info_never_renames_a_member_to_their_id(
    slack_stack: SlackStack,
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice Wu")
    _, url = await slack_stack.command("status")
    await fake.wait_for_response(url)
    community_id = (await slack_stack.member("U0ALICE", "placeholder")).community_id

    async def stored_name(user: str) -> str:
        member = await slack_stack.store.find_member(community_id, user)
        assert member is not None
        return member.display_name

    # users.info fails after the cache expired: the name Slack gave last is kept.
    slack_stack.adapter.people.ttl = 0.0
    fake.fail_next("users.info", "fatal_error")
    _, url = await slack_stack.command("status")
    await fake.wait_for_response(url)
    assert len(fake.calls("users.info", ok=False)) == 1
    assert await stored_name("U0ALICE") == "Alice Wu"

    # Nothing cached: the name in the request (user_name), not the id.
    fake.fail_next("users.info", "fatal_error")
    _, url = await slack_stack.command("status", user="U0BOB")
    await fake.wait_for_response(url)
    assert await stored_name("U0BOB") == "testuser"

    # App Home events carry no name: with users.info failing and nothing cached, the Home
    # tab waits for the next open rather than storing the member under their id.
    await slack_stack.member("U0CAROL", "Carol")
    fake.fail_next("users.info", "fatal_error")
    await slack_stack.adapter._on_home_opened(
        {"team_id": DEFAULT_TEAM_ID},
        {"type": "app_home_opened", "user": "U0CAROL", "tab": "home"},
    )
    assert fake.calls("views.publish") == []
    assert await stored_name("U0CAROL") == "Carol"
