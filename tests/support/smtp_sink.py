"""An aiosmtpd handler for the mail tests (tests/support/smtp.rs).

Each message is parsed with Python's `email` package and written, as JSON,
to $SMTP_SINK_DIR/NNNNN.json (written to a temporary name, then renamed);
every DATA command, accepted or not, is logged to attempts.jsonl. The first
$SMTP_SINK_REJECT_FIRST messages are answered `451` (try again later); the
first $SMTP_SINK_HOLD_FIRST are never answered (the sender is killed
mid-send; a late `451` if it is still there after 10 minutes).
"""

import asyncio
import json
import os
from email import policy
from email.parser import BytesParser


class Sink:
    def __init__(self):
        self.dir = os.environ["SMTP_SINK_DIR"]
        self.reject = int(os.environ.get("SMTP_SINK_REJECT_FIRST", "0"))
        self.hold = int(os.environ.get("SMTP_SINK_HOLD_FIRST", "0"))
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        held = self.seen <= self.hold
        rejected = held or self.seen <= self.reject
        with open(os.path.join(self.dir, "attempts.jsonl"), "a") as log:
            attempt = {"message_id": message["Message-ID"], "rejected": rejected, "held": held}
            log.write(json.dumps(attempt) + "\n")
        if held:
            await asyncio.sleep(600)
        if rejected:
            return "451 4.3.0 Try again later"
        parts = {}
        if message.is_multipart():
            for part in message.iter_parts():
                parts[part.get_content_type()] = part.get_content()
        found = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": message["From"],
            "to": message["To"],
            "subject": message["Subject"],
            "message_id": message["Message-ID"],
            "content_type": message.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        name = os.path.join(self.dir, "%05d.json" % self.seen)
        with open(name + ".tmp", "w") as out:
            json.dump(found, out)
        os.rename(name + ".tmp", name)
        return "250 OK"
