"""What a message is, apart from where it is stored: its lifecycle (the
status table).  Pure: no reactor, no SQL."""
