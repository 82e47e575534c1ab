"""`python -m essentiel` is the `essentiel` command."""

from .cli import main

main()
