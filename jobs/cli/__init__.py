"""The ``issuewire`` command line: argument parsing and error conversion only (:mod:`jobs.cli.main`)."""
