"""The server side: the pre-receive check of pushed refs, hook installation, and the trust
checks as a hook check."""
