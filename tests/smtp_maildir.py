"""A real SMTP server for dropgate's e-mail delivery tests: aiosmtpd,
writing every message it accepts into a Maildir.

usage: smtp_maildir.py PORT MAILDIR [--drop-first]

With --drop-first, the connection of the first message is closed right
after the message was stored and before the server answers it, as a
connection lost at the worst moment: the client cannot know the message
arrived and must send it again. Prints "ready" once listening.
"""
import asyncio
import mailbox
import sys

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, path, drop_first):
        self.box = mailbox.Maildir(path, create=True)
        self.drop = drop_first

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        if self.drop:
            self.drop = False
            server.transport.close()
            return '421 closing'
        return '250 OK'


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    c = Controller(Store(path, '--drop-first' in sys.argv), hostname='127.0.0.1', port=port)
    c.start()
    print('ready', flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.sleep(3600))
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()


if __name__ == '__main__':
    main()
