"""`python -m planning`: the command line (see planning.cli.main)."""

from planning.cli.main import main

raise SystemExit(main())
