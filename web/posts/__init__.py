"""The posts area: the queue, a post's page and its buttons (:mod:`.views`, ``posts.*``), the
compose page (:mod:`.compose`, ``compose.*``) and image bytes (:mod:`.media`, ``media.*``),
with their forms (:mod:`.forms`), the audit-trail query (:mod:`.queries`) and templates
(``templates/posts/``)."""
