#!/usr/bin/python3
"""A real SMTP relay for the tests (Debian python3-aiosmtpd): STARTTLS with the test
certificate, required before MAIL and AUTH; AUTH PLAIN/LOGIN with one user; every
accepted message stored in a Maildir and its envelope (sender, recipients, TLS, AUTH)
appended as one JSON line to the log, so a test sees exactly which RCPT TO reached it.

usage: smtp_tls_server.py PORT CERT KEY MAILDIR LOG USER PASSWORD
"""
import asyncio
import json
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, maildir, log, user, password = sys.argv[1:8]


class Recorder(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"from": envelope.mail_from, "rcpt": envelope.rcpt_tos,
                                "tls": session.ssl is not None,
                                "auth": bool(session.authenticated)}) + "\n")
        return await super().handle_DATA(server, session, envelope)


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)


signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Recorder(maildir), hostname="127.0.0.1", port=int(port),
                        tls_context=context, require_starttls=True, authenticator=authenticate,
                        auth_require_tls=True, auth_required=True)
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
