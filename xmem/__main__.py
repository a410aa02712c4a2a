"""``python -m xmem``: the ``xmem`` command run by this interpreter (the workflow's way)."""

import sys

from xmem.cli import main

sys.exit(main())
