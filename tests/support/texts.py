"""The example articles and keys the tests share (written for the tests, no corpus text)."""

from __future__ import annotations

# A loaded article: sensational headline, a body of three sentences in the same register.
HEADLINE = "SHOCKING: Doctors FURIOUS as outrageous scheme spreads like wildfire!"
BODY = (
    "You won't believe what happened next. Experts are terrified as the devastating scandal "
    "explodes, and the corrupt elites are desperate to bury the truth. Act now!"
)

# Astral characters (emoji) before the phrases: JavaScript's offsets (UTF-16) differ from the
# API's (code points), so the page must convert them.
EMOJI_HEADLINE = "🚨 SHOCKING: Doctors FURIOUS over one weird trick 😱"
EMOJI_BODY = (
    "😀 You won't believe what happened next.\n"
    "Experts are terrified as the outrageous scheme spreads like wildfire. 🔥🔥\n\n"
    "Act now before it's too late!"
)

# The keys of the apps and servers the tests start (HYPEMETER_API_KEY, HYPEMETER_ADMIN_KEY).
API_KEY = "test-api-key-0123456789"
ADMIN_KEY = "test-admin-key-9876543210"
API = {"X-API-Key": API_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}
