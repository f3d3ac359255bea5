"""Campaign kits (list, the start form, the started campaign) and consent records on posts."""
