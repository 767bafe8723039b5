#!/usr/bin/env python3
"""Build "Fleeing to Canada": `python build.py --help`."""
import sys

from bookbuild.cli import main

if __name__ == "__main__":
    sys.exit(main())
