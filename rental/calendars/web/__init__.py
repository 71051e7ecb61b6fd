"""The web layer of Calendars: order.py (the customer's .ics download under the manage link)."""
