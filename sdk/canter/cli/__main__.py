"""``python -m canter.cli``: what ``make demo`` and the tests start as a process."""

from canter.cli import main

main()
