import sys

from starleague.cli import main

sys.exit(main())
