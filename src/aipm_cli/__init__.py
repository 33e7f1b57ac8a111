"""aipm: track your progress on the road to becoming an AI product manager."""

__version__ = "0.1.0"
