"""Management commands of the gateway app."""
