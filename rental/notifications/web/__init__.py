"""The web layer of Notifications: admin.py (/admin/mail, its settings page, the order's and
the customer's "E-mails" sections) for staff; find_booking.py (/bookings/find) for customers."""
