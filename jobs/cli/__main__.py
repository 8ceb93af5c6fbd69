"""``python -m jobs.cli ...`` is the ``issuewire`` command.

    >>> from jobs.cli.main import build_parser
    >>> build_parser().parse_args(["status", "--last", "3"]).last
    3
"""
import sys

from jobs.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
