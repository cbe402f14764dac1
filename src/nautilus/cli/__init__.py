"""The ``nautilus`` command."""
