"""hashstop: victims register fingerprints of intimate images, never the images."""

__version__ = "0.1.0"
