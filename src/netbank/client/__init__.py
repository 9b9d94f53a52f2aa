"""Client-side helpers: what runs next to the customer's UKEY, not in the server."""
