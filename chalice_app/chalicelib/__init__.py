"""Domain logic of the events service; the Chalice handlers in app.py stay thin."""
