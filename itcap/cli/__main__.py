import sys

from itcap.cli import main

sys.exit(main())
