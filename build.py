#!/usr/bin/env python3
"""Build "Fleeing to Canada": `python build.py --help`."""
import os
import sys

from bookbuild.cli import main

if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now.  Python's own exit would then tear down
    # every module and object one by one: 0.05-0.1 s at the end of every build.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. a pipe closed by its reader
        pass
    os._exit(status)
