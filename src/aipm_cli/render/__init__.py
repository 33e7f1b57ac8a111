"""Terminal views (take a Console) and report exporters (summary -> str)."""
