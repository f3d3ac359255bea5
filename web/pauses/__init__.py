"""The incident pause pages: start a pause, see and resume the active ones; the banner every
page shows while a pause is active (see :mod:`content_queue.pauses`)."""
