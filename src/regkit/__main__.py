"""``python -m regkit``: the same as the ``regkit`` command."""

from regkit.cli import main

raise SystemExit(main())
