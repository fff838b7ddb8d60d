"""The Slack adapter over HTTP: signed slash commands, buttons and modals, end to end."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.messages import Response
from bot.models import Actor
from tests import slack_stack as stack_module
from tests.fakes.slack_fake import SIGNATURE_MAX_AGE_SECONDS, SlackFake
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
    assert {p.value: c for p, c in channels.items()} == {"checkins": "C0CHECKINS"}


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
