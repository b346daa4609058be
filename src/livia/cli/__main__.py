import sys

from livia.cli.main import main

sys.exit(main())
