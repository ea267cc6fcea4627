"""``python -m bot``: the tieswatch command."""

import sys

from bot.app.cli import main

sys.exit(main())
