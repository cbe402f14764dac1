"""Request and response models of the API (kept apart from tables and domain objects)."""
