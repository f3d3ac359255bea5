"""The campaigns area: the page (:mod:`.views`, ``campaigns.*``), its form (:mod:`.forms`) and
the prices and post counts the compose page and the API show too (:mod:`.costs`)."""
