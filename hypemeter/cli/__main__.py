import sys

from hypemeter.cli import main

sys.exit(main())
