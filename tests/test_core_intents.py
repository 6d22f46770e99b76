"""Intent routing (English and Chinese) and GUI-phrase translation."""

from __future__ import annotations

import pytest

from artgen_tui.core.gui_phrases import find_actions
from artgen_tui.core.intents import SLASH_COMMANDS, help_text, route


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("export", "export"),
        ("Export!", "export"),
        ("EXPORT the video please", "export"),
        ("download", "export"),
        ("download it", "export"),
        ("send me the video", "export"),
        ("Send me the video.", "export"),
        ("导出", "export"),
        ("导出视频", "export"),
        ("帮我导出一下", "export"),
        ("credits", "credits"),
        ("Credits?", "credits"),
        ("how many credits do I have", "credits"),
        ("balance", "credits"),
        ("积分", "credits"),
        ("我的积分", "credits"),
        ("余额", "credits"),
        ("查看余额", "credits"),
        ("status", "state"),
        ("Status?", "state"),
        ("show tracks", "state"),
        ("Show the timeline", "state"),
        ("状态", "state"),
        ("查看状态", "state"),
        ("upload", "upload"),
        ("upload a file", "upload"),
        ("上传", "upload"),
        ("上传文件", "upload"),
        ("  export  ", "export"),
        ("What's my balance?", "credits"),
        ("upload some photos", "upload"),
        ("导出mp4", "export"),
    ],
)
def test_keyword_messages_route_to_their_intent(text: str, kind: str) -> None:
    intent = route(text)
    assert intent.kind == kind
    assert intent.text == text
    assert intent.error is None


@pytest.mark.parametrize(
    "text",
    [
        "a futuristic city at sunset, cinematic",
        "a neon city where every billboard shows its status",
        "status quo painting in watercolor",
        "export a calm ocean at dawn with soft light",
        "render a city at night",
        "make the credits roll slowly over a starry sky",
        "upload my soul into a cyberpunk dream, neon style",
        "帮我生成一个城市夜景视频然后导出",
        "一个关于积分的动画",
        "add title 'Urban Dreams'",
        "export credits",  # two intents: ambiguous, so it goes to the agent
        "",
        "   ",
        "hello",
    ],
)
def test_everything_else_is_chat(text: str) -> None:
    assert route(text).kind == "chat"


def test_long_message_with_only_keywords_and_filler_is_still_chat() -> None:
    text = "please please please please can you now just export the video again"
    assert route(text).kind == "chat"


@pytest.mark.parametrize(
    ("text", "kind", "args"),
    [
        ("/export", "export", []),
        ("/credits", "credits", []),
        ("/status", "state", []),
        ("/STATUS", "state", []),
        ("/state", "state", []),
        ("/upload", "upload", []),
        ("/upload a.png /tmp/b c.mp4", "upload", ["a.png", "/tmp/b", "c.mp4"]),
        ("/new", "new", []),
        ("/help", "help", []),
        ("/?", "help", []),
        ("  /export  ", "export", []),
    ],
)
def test_slash_commands(text: str, kind: str, args: list[str]) -> None:
    intent = route(text)
    assert (intent.kind, intent.args, intent.error) == (kind, args, None)


def test_unknown_slash_command_explains_itself() -> None:
    intent = route("/frobnicate now")
    assert intent.kind == "help"
    assert intent.error is not None
    assert "/frobnicate" in intent.error and "/help" in intent.error


def test_help_text_lists_every_command() -> None:
    text = help_text()
    for command in SLASH_COMMANDS.values():
        assert command.usage in text


@pytest.mark.parametrize(
    ("reply", "kinds"),
    [
        ("Done! Click **Export** to download your video.", ["export"]),
        ("When you're happy, use the Export button.", ["export"]),
        ("Press the export button to save it.", ["export"]),
        ("You can preview it in the timeline.", ["focus_timeline"]),
        ("Check the timeline to see the new title.", ["focus_timeline"]),
        ("Open the timeline to check.", ["focus_timeline"]),
        ("Open the project panel to see your assets.", ["state"]),
        ('Please check the timeline, then click "Export".', ["focus_timeline", "export"]),
        ("Click Export. Also preview in the timeline.", ["export", "focus_timeline"]),
        ("完成！点击导出按钮下载视频。", ["export"]),
        ("请在时间线预览效果。", ["focus_timeline"]),
        ("Your video is ready.", []),
        ("I will open a new world of color for you.", []),
        ("We can export it later if you like.", []),
    ],
)
def test_gui_phrases(reply: str, kinds: list[str]) -> None:
    assert [a.kind for a in find_actions(reply)] == kinds


def test_gui_action_carries_label_and_phrase() -> None:
    (action,) = find_actions("Now click **Export** to get the MP4.")
    assert action.label == "Export video"
    assert action.phrase == "click Export"


def test_each_kind_reported_once() -> None:
    actions = find_actions("Click Export. Or click Export again. The export button works too.")
    assert [a.kind for a in actions] == ["export"]
