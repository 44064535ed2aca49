"""Requests that leave Docket for addresses users typed in (webhooks, chat channels): an HTTP
client that refuses private networks at connect time (guard.py, client.py), Standard Webhooks
signing (signing.py) and the chat services' message shapes (chat.py). Below every app, so
integrations and notifications both use it; it imports no app."""
