"""The web layer of Calendars: order.py (the customer's .ics download under the manage link);
feeds.py (/admin/calendar-feeds for staff, /calendar/<token>.ics for calendar apps)."""
