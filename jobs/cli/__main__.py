"""``python -m jobs.cli ...`` is the ``issuewire`` command."""
import sys

from jobs.cli.main import main

sys.exit(main())
