"""Built-in phibench plugins."""
