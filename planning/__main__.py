"""`python -m planning`: the command line (see planning.cli)."""

from planning.cli import main

raise SystemExit(main())
