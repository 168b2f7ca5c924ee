from __future__ import annotations

import sys

from gitstore.launch import main

if __name__ == "__main__":
    sys.exit(main())
