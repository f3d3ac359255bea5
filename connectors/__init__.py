"""One module per platform, each implementing ``content_queue.ports.PlatformConnector``."""
