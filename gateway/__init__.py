"""carrier-gateway: SMPP 3.4 and MM7 gateway for a CPaaS Messages API."""
