"""Single sign-on through OpenID Connect (issue 11): the login button's redirect flow and the
agency's group → role mapping. The decisions (who, as what) are in :mod:`content_queue.sso`."""
