"""The Slack fake works with the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import slack_fixtures
from tests.fakes.slack_fake import (
    SIGNATURE_MAX_AGE_SECONDS,
    ManualClock,
    SlackFake,
    block_actions_payload,
    sign_request,
    signed_form_request,
    signed_payload_request,
    slash_command_body,
    view_submission_payload,
)
from tests.fakes.slack_fixtures import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET

# Bind the fixture in this module so pytest finds it (tests/conftest.py is owned elsewhere).
slack_fake = slack_fixtures.slack_fake

MODAL = {
    "type": "modal",
    "callback_id": "checkin_modal",
    "private_metadata": "sprint=7",
    "title": {"type": "plain_text", "text": "Weekly check-in"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "progress",
            "label": {"type": "plain_text", "text": "Progress"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


def web_client(fake: SlackFake, token: str = BOT_TOKEN, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.api_url, **kwargs)


# ------------------------------------------------------------------ Web API


@pytest.mark.asyncio
async def test_web_client_calls_are_answered_and_recorded(slack_fake: SlackFake) -> None:
    client = web_client(slack_fake)
    slack_fake.add_user("U0ALICE", tz="Europe/Berlin", real_name="Alice Wu", is_admin=True)

    auth = await client.auth_test()
    assert auth["user_id"] == slack_fake.bot_user_id
    assert auth["team_id"] == slack_fake.team_id

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    posted = await client.chat_postMessage(channel="C0SPRINT", text="hi", blocks=blocks)
    assert posted["channel"] == "C0SPRINT"
    updated = await client.chat_update(channel="C0SPRINT", ts=posted["ts"], text="edited")
    assert updated["ts"] == posted["ts"]
    assert slack_fake.message("C0SPRINT", posted["ts"]) == {
        **posted["message"],
        "text": "edited",
        "edited": slack_fake.messages[0]["edited"],
    }

    user = (await client.users_info(user="U0ALICE"))["user"]
    assert (user["tz"], user["real_name"], user["is_admin"], user["is_owner"]) == (
        "Europe/Berlin",
        "Alice Wu",
        True,
        False,
    )
    assert user["tz_offset"] in (3600, 7200)  # CET or CEST, whichever is in effect now

    dm = await client.conversations_open(users="U0ALICE")
    assert dm["channel"]["id"] == slack_fake.dm_channel_for("U0ALICE")
    assert dm["channel"]["id"].startswith("D")

    opened = await client.views_open(trigger_id="123.456.abc", view=MODAL)
    view_id = opened["view"]["id"]
    assert slack_fake.views[view_id]["callback_id"] == "checkin_modal"
    await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=MODAL)
    with pytest.raises(SlackApiError) as stale_hash:
        await client.views_update(view_id=view_id, hash="stale", view=MODAL)
    assert stale_hash.value.response["error"] == "hash_conflict"
    await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
    assert slack_fake.home_views["U0ALICE"]["type"] == "home"
    await client.chat_postEphemeral(channel="C0SPRINT", user="U0ALICE", text="psst")
    assert slack_fake.ephemerals[0]["text"] == "psst"

    methods = [c.method for c in slack_fake.calls()]
    assert methods == [
        "auth.test",
        "chat.postMessage",
        "chat.update",
        "users.info",
        "conversations.open",
        "views.open",
        "views.update",
        "views.update",
        "views.publish",
        "chat.postEphemeral",
    ]
    post = await slack_fake.wait_for("chat.postMessage")
    assert post.token == BOT_TOKEN
    assert post.params["blocks"] == blocks
    assert slack_fake.calls("views.open")[0].params["view"]["callback_id"] == "checkin_modal"
    assert slack_fake.calls("views.update", ok=False)[0].response["error"] == "hash_conflict"


@pytest.mark.asyncio
async def test_form_encoded_bodies_are_parsed_and_json_fields_decoded(
    slack_fake: SlackFake,
) -> None:
    client = web_client(slack_fake)
    blocks = [{"type": "divider"}]
    # data= makes slack_sdk send application/x-www-form-urlencoded instead of JSON.
    await client.api_call(
        "chat.postMessage", data={"channel": "U0BOB", "blocks": json.dumps(blocks)}
    )
    call = await slack_fake.wait_for("chat.postMessage", ok=True)
    assert call.params == {"channel": "U0BOB", "blocks": blocks}
    # Posting to a user id lands in the DM, like Slack.
    assert call.response["channel"] == slack_fake.dm_channel_for("U0BOB")

    # A legacy client sending the token as a form field is accepted too.
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{slack_fake.api_url}auth.test", data={"token": BOT_TOKEN, "extra": "1"}
        ) as resp,
    ):
        assert (await resp.json())["ok"] is True
    legacy = await slack_fake.wait_for("auth.test")
    assert (legacy.token, legacy.params) == (BOT_TOKEN, {"extra": "1"})


@pytest.mark.asyncio
async def test_bad_tokens_and_unknown_methods(slack_fake: SlackFake) -> None:
    with pytest.raises(SlackApiError) as bad:
        await web_client(slack_fake, token="xoxb-wrong").chat_postMessage(channel="C1", text="x")
    assert bad.value.response["error"] == "invalid_auth"
    assert bad.value.response.status_code == 200  # Slack reports auth errors with HTTP 200

    with pytest.raises(SlackApiError) as app_token:
        await web_client(slack_fake, token=APP_TOKEN).auth_test()
    assert app_token.value.response["error"] == "not_allowed_token_type"

    with pytest.raises(SlackApiError) as unknown:
        await web_client(slack_fake).api_call("crossfade.nope")
    assert unknown.value.response["error"] == "unknown_method"

    with pytest.raises(SlackApiError) as missing_user:
        await web_client(slack_fake).users_info(user="U0NOBODY")
    assert missing_user.value.response["error"] == "user_not_found"

    recorded = [(c.method, c.token, c.response["error"]) for c in slack_fake.calls(ok=False)]
    assert recorded[:3] == [
        ("chat.postMessage", "xoxb-wrong", "invalid_auth"),
        ("auth.test", APP_TOKEN, "not_allowed_token_type"),
        ("crossfade.nope", BOT_TOKEN, "unknown_method"),
    ]
    assert slack_fake.messages == []


@pytest.mark.asyncio
async def test_injected_errors(slack_fake: SlackFake) -> None:
    slack_fake.fail_next("views.open", "expired_trigger_id")
    client = web_client(slack_fake)
    with pytest.raises(SlackApiError) as expired:
        await client.views_open(trigger_id="t", view=MODAL)
    assert expired.value.response["error"] == "expired_trigger_id"
    assert (await client.views_open(trigger_id="t", view=MODAL))["ok"] is True


# ------------------------------------------------------------------ rate limits


@pytest.mark.asyncio
async def test_429_is_retried_by_the_rate_limit_retry_handler(slack_fake: SlackFake) -> None:
    slack_fake.rate_limit_next("chat.postMessage", retry_after=0)
    client = web_client(slack_fake, retry_handlers=[AsyncRateLimitErrorRetryHandler()])

    response = await client.chat_postMessage(channel="C0SPRINT", text="retry me")

    assert response["ok"] is True
    first, second = slack_fake.calls("chat.postMessage")
    assert (first.status, first.response["error"]) == (429, "ratelimited")
    assert (second.status, second.params) == (200, first.params)
    assert (slack_fake.post_stats.accepted, slack_fake.post_stats.rejected) == (1, 1)


@pytest.mark.asyncio
async def test_429_without_retry_handler_surfaces_retry_after(slack_fake: SlackFake) -> None:
    slack_fake.rate_limit_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await web_client(slack_fake).users_info(user="U0ALICE")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"


@pytest.mark.asyncio
async def test_post_limit_is_a_per_channel_token_bucket(slack_fake: SlackFake) -> None:
    clock = ManualClock()
    slack_fake.enable_post_limit(per_channel_per_second=1.0, per_channel_burst=2, clock=clock)
    client = web_client(slack_fake)  # default handlers do not retry 429s

    await client.chat_postMessage(channel="C1", text="1")
    await client.chat_postMessage(channel="C1", text="2")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="3")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="C2", text="other channel has its own bucket")

    clock.advance(1.0)
    await client.chat_postMessage(channel="C1", text="refilled")
    assert (slack_fake.post_stats.accepted, slack_fake.post_stats.rejected) == (4, 1)
    assert [m["text"] for m in slack_fake.messages if m["channel"] == "C1"] == [
        "1",
        "2",
        "refilled",
    ]


@pytest.mark.asyncio
async def test_post_limit_workspace_wide(slack_fake: SlackFake) -> None:
    clock = ManualClock()
    slack_fake.enable_post_limit(workspace_per_second=2.0, workspace_burst=2, clock=clock)
    client = web_client(slack_fake)
    await client.chat_postMessage(channel="C1", text="a")
    await client.chat_postMessage(channel="C2", text="b")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C3", text="c")
    clock.advance(0.5)
    await client.chat_postMessage(channel="C3", text="c")
    slack_fake.disable_post_limit()
    for i in range(5):
        await client.chat_postMessage(channel="C3", text=str(i))
    assert (slack_fake.post_stats.accepted, slack_fake.post_stats.rejected) == (8, 1)


# ------------------------------------------------------------------ response_url


@pytest.mark.asyncio
async def test_response_url_posts_are_recorded(slack_fake: SlackFake) -> None:
    url = slack_fake.mint_response_url()
    other = slack_fake.mint_response_url()
    webhook = AsyncWebhookClient(url)
    result = await webhook.send(text="done", response_type="ephemeral")
    assert result.status_code == 200

    post = await slack_fake.wait_for_response(url)
    assert post.body == {"text": "done", "response_type": "ephemeral"}
    assert slack_fake.response_posts(other) == []

    bogus = await AsyncWebhookClient(f"{slack_fake.base_url}/response/R404").send(text="x")
    assert bogus.status_code == 404


# ------------------------------------------------------------------ Socket Mode


@asynccontextmanager
async def socket_mode_client(fake: SlackFake) -> AsyncIterator[SocketModeClient]:
    # Must be built inside the running loop: the constructor creates a ClientSession and a task.
    client = SocketModeClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=fake.api_url))
    try:
        yield client
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_socket_mode_client_connects_receives_envelope_and_acks(
    slack_fake: SlackFake,
) -> None:
    hello = asyncio.Event()

    async def on_message(client: Any, message: dict[str, Any], raw: str | None) -> None:
        if message.get("type") == "hello":
            hello.set()

    async def on_request(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        text = req.payload["text"]
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload={"text": f"got {text}"})
        )

    async with socket_mode_client(slack_fake) as client:
        client.message_listeners.append(on_message)
        client.socket_mode_request_listeners.append(on_request)
        await client.connect()
        await slack_fake.wait_for_socket()
        async with asyncio.timeout(5):
            await hello.wait()

        body = slash_command_body(
            command="/crossfade", text="sprint", response_url=slack_fake.mint_response_url()
        )
        envelope_id = await slack_fake.push_envelope(
            "slash_commands", body, accepts_response_payload=True
        )
        ack = await slack_fake.wait_for_ack(envelope_id)

    assert ack == {"envelope_id": envelope_id, "payload": {"text": "got sprint"}}
    opened = await slack_fake.wait_for("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert opened.response["url"].startswith(f"ws://127.0.0.1:{slack_fake.port}/socket")


@pytest.mark.asyncio
async def test_socket_mode_client_reconnects_after_disconnect_message(
    slack_fake: SlackFake,
) -> None:
    async with socket_mode_client(slack_fake) as client:
        await client.connect()
        await slack_fake.wait_for_socket()
        await slack_fake.send_disconnect("refresh_requested")
        await slack_fake.wait_for_socket(count=2)
        await slack_fake.wait_for("apps.connections.open", count=2)
    assert slack_fake.socket_connections == 2


@pytest.mark.asyncio
async def test_push_envelope_without_a_client_is_an_error(slack_fake: SlackFake) -> None:
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        await slack_fake.push_envelope("events_api", {"event": {"type": "app_mention"}})
    with pytest.raises(TimeoutError, match="Socket Mode connection"):
        await slack_fake.wait_for_socket(timeout=0.05)


@pytest.mark.asyncio
async def test_bolt_socket_mode_app_acks_and_responds(slack_fake: SlackFake) -> None:
    app = AsyncApp(client=web_client(slack_fake))

    @app.command("/crossfade")
    async def on_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack(f"on it: {command['text']}")
        await respond("finished")

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        await slack_fake.wait_for_socket()
        url = slack_fake.mint_response_url()
        body = slash_command_body(command="/crossfade", text="clinic", response_url=url)
        envelope_id = await slack_fake.push_envelope(
            "slash_commands", body, accepts_response_payload=True
        )
        ack = await slack_fake.wait_for_ack(envelope_id)
        followup = await slack_fake.wait_for_response(url)
    finally:
        await handler.close_async()

    # Bolt wraps a plain-text ack as {"text": ...} in the ack's payload.
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "on it: clinic"}}
    assert followup.body["text"] == "finished"
    # Bolt's authorization middleware calls auth.test with the bot token on the first request.
    assert (await slack_fake.wait_for("auth.test")).token == BOT_TOKEN


# ------------------------------------------------------------------ signing + bolt over HTTP


def test_signatures_are_accepted_by_slack_sdk_verifier() -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    body = slash_command_body(command="/crossfade", text="hi", response_url="http://x/response/1")
    request = signed_form_request(SIGNING_SECRET, body)
    assert verifier.is_valid_request(request.body, request.headers)
    assert verifier.is_valid_request(request.body.encode(), request.headers)

    interaction = signed_payload_request(
        SIGNING_SECRET, block_actions_payload(action_id="join", value="7")
    )
    assert interaction.body.startswith("payload=")
    assert verifier.is_valid_request(interaction.body, interaction.headers)

    stale_ts = int(time.time()) - SIGNATURE_MAX_AGE_SECONDS - 1
    stale = signed_form_request(SIGNING_SECRET, body, timestamp=stale_ts)
    assert not verifier.is_valid_request(stale.body, stale.headers)
    forged = sign_request("not-the-secret", request.body)
    assert not verifier.is_valid_request(request.body, forged)
    tampered = request.body.replace("hi", "ho")
    assert not verifier.is_valid_request(tampered, request.headers)


@asynccontextmanager
async def serve(app: AsyncApp) -> AsyncIterator[str]:
    runner = web.AppRunner(app.web_app(path="/slack/events"), shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_signed_requests_drive_a_bolt_app_over_http(slack_fake: SlackFake) -> None:
    app = AsyncApp(client=web_client(slack_fake), signing_secret=SIGNING_SECRET)
    seen: dict[str, Any] = {}

    @app.command("/crossfade")
    async def on_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack(f"you said {command['text']}")
        await respond({"text": "later", "response_type": "in_channel"})

    @app.action("join_sprint")
    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["action"] = body["actions"][0]  # before ack: bolt answers HTTP as soon as ack runs
        await ack()

    @app.view("checkin_modal")
    async def on_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        seen["view"] = view
        await ack()

    url = slack_fake.mint_response_url()
    opened = await web_client(slack_fake).views_open(trigger_id="1.2.3", view=MODAL)
    stored_view = slack_fake.views[opened["view"]["id"]]

    async with serve(app) as endpoint, aiohttp.ClientSession() as http:
        command = signed_form_request(
            SIGNING_SECRET, slash_command_body(command="/crossfade", text="hi", response_url=url)
        )
        async with http.post(endpoint, data=command.body, headers=command.headers) as resp:
            assert (resp.status, await resp.text()) == (200, "you said hi")
        assert (await slack_fake.wait_for_response(url)).body["text"] == "later"

        click = signed_payload_request(
            SIGNING_SECRET,
            block_actions_payload(action_id="join_sprint", value="sprint-7", response_url=url),
        )
        async with http.post(endpoint, data=click.body, headers=click.headers) as resp:
            assert resp.status == 200
        assert (seen["action"]["action_id"], seen["action"]["value"]) == ("join_sprint", "sprint-7")

        submission = signed_payload_request(
            SIGNING_SECRET,
            view_submission_payload(view=stored_view, values={"progress": {"text": "3 mixes"}}),
        )
        async with http.post(endpoint, data=submission.body, headers=submission.headers) as resp:
            assert resp.status == 200
        assert seen["view"]["private_metadata"] == "sprint=7"
        assert seen["view"]["state"]["values"]["progress"]["text"] == {
            "type": "plain_text_input",
            "value": "3 mixes",
        }

        stale = signed_form_request(
            SIGNING_SECRET,
            slash_command_body(command="/crossfade", text="old", response_url=url),
            timestamp=int(time.time()) - SIGNATURE_MAX_AGE_SECONDS - 60,
        )
        async with http.post(endpoint, data=stale.body, headers=stale.headers) as resp:
            assert resp.status == 401
