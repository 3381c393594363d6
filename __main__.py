"""``python -m hashpivot``: the ``hashpivot`` command line."""

import sys

from hashpivot.model.cli import main

if __name__ == "__main__":
    sys.exit(main())
