"""A small SMTP server for the tests: it speaks enough of RFC 5321 for
libcurl (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, several messages
per connection), keeps every message it accepts, and can be told to be
slow or to refuse. Python 3 standard library only (no aiosmtpd needed).

In-process:

    srv = SMTPServer(delay=0.005)       # seconds before each 250 to DATA
    srv.start()                         # on a free port of 127.0.0.1
    url = srv.url                       # "smtp://127.0.0.1:PORT"
    srv.wait_for(3, timeout=10)         # until 3 messages arrived
    m = srv.messages[0]                 # .mail_from, .rcpts, .raw, .msg
    srv.stop()

Refusals: srv.fail_next = n answers the next n messages with 451 (a
temporary failure, so the sender retries); srv.reject = {"x@example.com"}
answers RCPT for those addresses with 550 (permanent).

As a program (prints "PORT" when listening, then one JSON line per
message on stdout):

    python3 tests/http/smtpd.py [--port N] [--delay SECONDS]
"""
import email
import email.policy
import json
import socketserver
import sys
import threading
import time


class Message:
    def __init__(self, mail_from, rcpts, raw):
        self.mail_from = mail_from
        self.rcpts = list(rcpts)
        self.raw = raw
        self.at = time.time()
        self.msg = email.message_from_bytes(raw, policy=email.policy.default)

    def header(self, name):
        v = self.msg.get(name)
        return None if v is None else str(v)

    def part(self, ctype):
        """The decoded text of the first part of that content type."""
        for p in self.msg.walk():
            if p.get_content_type() == ctype and not p.is_multipart():
                return p.get_content()
        return None

    def __repr__(self):
        return "<Message to %s: %r>" % (",".join(self.rcpts),
                                         self.header("Subject"))


def _addr(arg):
    """The address of "FROM:<a@b> SIZE=..." or "TO:<a@b>"."""
    arg = arg.split(":", 1)[1].strip() if ":" in arg else arg
    if arg.startswith("<"):
        return arg[1:arg.index(">")] if ">" in arg else arg[1:]
    return arg.split()[0] if arg else ""


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self):
        srv = self.server.owner
        try:
            self.reply("220 gz-test-smtpd ESMTP ready")
            mail_from, rcpts = None, []
            while True:
                line = self.rfile.readline(4096)
                if not line:
                    return
                cmd = line.decode("latin-1").rstrip("\r\n")
                verb = cmd.split(" ", 1)[0].upper()
                arg = cmd[len(verb):].strip()
                srv.commands.append(cmd)
                if verb == "EHLO":
                    self.reply("250-gz-test-smtpd greets %s" % arg)
                    self.reply("250-8BITMIME")
                    self.reply("250 SIZE 10485760")
                elif verb == "HELO":
                    self.reply("250 gz-test-smtpd")
                elif verb == "MAIL":
                    mail_from, rcpts = _addr(arg), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    if mail_from is None:
                        self.reply("503 MAIL first")
                        continue
                    a = _addr(arg)
                    if a in srv.reject:
                        self.reply("550 No such user here")
                        continue
                    rcpts.append(a)
                    self.reply("250 OK")
                elif verb == "DATA":
                    if not rcpts:
                        self.reply("503 RCPT first")
                        continue
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    data = self.read_data()
                    if data is None:
                        return
                    if srv.delay:
                        time.sleep(srv.delay)
                    if srv.take_failure():
                        self.reply("451 Try again later")
                    else:
                        srv.add(Message(mail_from, rcpts, data))
                        self.reply("250 OK queued")
                    mail_from, rcpts = None, []
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    self.reply("250 OK")
                elif verb == "NOOP":
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 Bye")
                    return
                else:
                    self.reply("502 Command not implemented")
        except (OSError, ValueError):
            return  # the client went away (a killed gazette, say)

    def read_data(self):
        lines = []
        while True:
            line = self.rfile.readline(1 << 20)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b".."):
                line = line[1:]  # dot-stuffing (RFC 5321 4.5.2)
            lines.append(line)
        return b"".join(lines)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPServer:
    def __init__(self, host="127.0.0.1", port=0, delay=0.0):
        self.delay = delay
        self.fail_next = 0
        self.reject = set()
        self.messages = []
        self.commands = []
        self._cond = threading.Condition()
        self._srv = _TCPServer((host, port), _Handler)
        self._srv.owner = self
        self.host, self.port = self._srv.server_address[:2]
        self._thread = None
        self.on_message = None

    @property
    def url(self):
        return "smtp://%s:%d" % (self.host, self.port)

    def start(self):
        self._thread = threading.Thread(target=self._srv.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._srv.shutdown()
        self._srv.server_close()

    def take_failure(self):
        with self._cond:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def add(self, m):
        with self._cond:
            self.messages.append(m)
            self._cond.notify_all()
        if self.on_message:
            self.on_message(m)

    def clear(self):
        with self._cond:
            self.messages = []

    def count(self):
        with self._cond:
            return len(self.messages)

    def wait_for(self, n, timeout=10.0, pred=None):
        """Waits until n messages (matching pred, if given) arrived;
        returns them (fewer on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [m for m in self.messages if pred is None or pred(m)]
                left = deadline - time.monotonic()
                if len(got) >= n or left <= 0:
                    return got
                self._cond.wait(min(left, 0.1))

    def to(self, addr):
        with self._cond:
            return [m for m in self.messages if addr in m.rcpts]


def main(argv):
    port, delay = 0, 0.0
    i = 1
    while i < len(argv):
        if argv[i] == "--port":
            port = int(argv[i + 1])
            i += 2
        elif argv[i] == "--delay":
            delay = float(argv[i + 1])
            i += 2
        else:
            sys.exit("usage: smtpd.py [--port N] [--delay SECONDS]")
    srv = SMTPServer(port=port, delay=delay)
    lock = threading.Lock()

    def show(m):
        with lock:
            print(json.dumps({"from": m.mail_from, "to": m.rcpts,
                              "subject": m.header("Subject"),
                              "size": len(m.raw)}), flush=True)
    srv.on_message = show
    print(srv.port, flush=True)
    srv.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main(sys.argv)
