"""``python -m bot`` is the same as the ``kaizen`` command."""

from bot.cli import main

main()
