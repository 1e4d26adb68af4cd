"""The ``canter`` command line, modelled on LittleHorse's ``lhctl``."""

from canter.cli.app import app as app


def main() -> None:
    app()
