"""The local sandbox: an emulated Slack workspace the bot can talk to without a real Slack.

The same emulator backs the test suite (as the fake Slack at the HTTP boundary, so the real
``slack_sdk`` client code runs) and the browser sandbox (which reads the in-memory workspace
state). ``state`` holds the workspace, ``slack_api`` serves the Web API subset the bot uses, and
``requests`` builds the signed requests Slack would send to the bot.
"""
