"""Clients for the outside systems agents talk to: a live client and a sandbox behind one interface."""
