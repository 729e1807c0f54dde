"""``python -m workbench`` is the same as the ``workbench`` command."""

from .cli import main

raise SystemExit(main())
