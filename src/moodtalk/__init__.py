"""moodtalk: speech to emotional talking-head video on a CPU."""

__version__ = "0.1.0"
