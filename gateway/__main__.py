"""``python -m gateway`` is the same as the ``carrier-gateway`` command."""
import sys

from gateway.cli.main import main

sys.exit(main())
