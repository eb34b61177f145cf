"""Signs e-mail messages with DKIM for dropgate's mailbox tests (dkimpy,
an implementation independent of dropgate's own verifier).

usage: dkim_sign.py KEY.pem SELECTOR DOMAIN FILE...

Each FILE (a whole message, CRLF line ends) gets a DKIM-Signature
(rsa-sha256, relaxed/simple; From, To, Subject, Date, Message-ID signed)
prepended, in place.
"""
import sys

import dkim


def main():
    key_path, selector, domain = sys.argv[1:4]
    key = open(key_path, 'rb').read()
    for path in sys.argv[4:]:
        msg = open(path, 'rb').read()
        sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                        canonicalize=(b'relaxed', b'simple'),
                        include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
        with open(path, 'wb') as f:
            f.write(sig + msg)


if __name__ == '__main__':
    main()
