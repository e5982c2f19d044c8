"""MM7 and SOAP 1.1 schema files (package data); see SOURCES.md."""
