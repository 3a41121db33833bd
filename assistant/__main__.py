"""`python -m assistant` runs the command line."""

from assistant.cli.main import main

raise SystemExit(main())
