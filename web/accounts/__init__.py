"""The accounts area: the social accounts an agency posts to.

- :mod:`.views` — the list, the manual form, checking, disabling and enabling an account;
- :mod:`.credentials` — replacing an account's credentials by hand;
- :mod:`.connect` — connecting and reconnecting through each platform's own sign-in (its
  work in ``connect_setup``, ``connect_flows``, ``connect_forms`` and ``connect_save``);
- :mod:`.shared` — what all of them use; :mod:`.forms` — the credential fields;
- :mod:`.blueprint` — the one blueprint (``accounts.*``) they all put their routes on.
"""
