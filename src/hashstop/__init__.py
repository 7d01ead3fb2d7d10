"""hashstop: victims register fingerprints of intimate images, never the images; platforms block re-uploads."""

__version__ = "0.1.0"
