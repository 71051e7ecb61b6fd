"""gunicorn settings for the web process (the Procfile passes `--config gunicorn.conf.py`;
gunicorn also reads this file by itself when started from the project folder).
Everything else is on the command line in the Procfile."""

# Access-log lines with customers' manage tokens blanked: /r/RK-ABC234/[redacted]
logger_class = "rental.access_log.RedactingLogger"
