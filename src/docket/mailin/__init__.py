"""Mail in: the support desk by email (docs/mail.md). One parser (parse.py) for the listener
(`docket mail`, LMTP/SMTP) and the IMAP poller; receive.py turns a message into an issue, a
comment, an ignored entry or a quarantined one, in one transaction."""
