"""The production set-up, tested (issue 12, item 3).

BehindNginx runs Debian's real nginx with the shipped config/nginx.conf in
front of the real gazette (server.trusted_proxies = 127.0.0.1), both on
free loopback ports, with a self-signed certificate made by openssl in a
temporary folder. nginx runs as the current user with its own prefix,
pid, temporary and log files in that folder (a minimal main file written
here stands in for Debian's /etc/nginx/nginx.conf and includes the site
file). Only the values on the lines config/nginx.conf marks "#@" are
replaced, by the table SUBSTITUTIONS below (ports, certificate files, the
upstream address, the static and media folders, log and ACME folders; the
IPv6 listens are dropped: the tests bind loopback only); each one must
match, so the file cannot drift away from what is tested.

It checks: HTTPS answers with the site and gazette's security headers
pass through; ALPN negotiates h2; plain HTTP redirects to HTTPS; gazette
sees the client's own address behind nginx (access log, login rate limit)
and not the address a client forged in X-Forwarded-For; the session
cookie is Secure through TLS and not over plain HTTP; static files and
media come from disk (not from gazette) with their caching and gzip;
/metrics is not public.

TrustedProxies talks to gazette directly from loopback addresses other
than 127.0.0.1 (Linux routes all of 127.0.0.0/8 to lo), which are not
trusted: their X-Forwarded-For and X-Forwarded-Proto are ignored, and the
per-address connection limit caps them but not the trusted proxy.

SystemdUnit runs `systemd-analyze verify` on config/gazette.service. The
verifier insists that ExecStart's binary exists, so it checks a copy in a
temporary folder whose only change is /usr/local/bin/gazette replaced by
the binary under test; every warning fails the test (the verifier exits 0
on values it merely ignores).
"""
import hashlib
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import unittest
import zlib

import harness

NGINX = shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
OPENSSL = shutil.which("openssl")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
SITE = os.path.join(harness.ROOT, "config", "nginx.conf")
UNIT = os.path.join(harness.ROOT, "config", "gazette.service")
PASSWORD = "correct horse battery"
HOST = "news.example.org"

# (what the shipped file says, what the test runs), applied only on lines
# marked "#@"; every row must match at least once.
SUBSTITUTIONS = [
    ("listen 80;", "listen 127.0.0.1:{http};"),
    ("listen [::]:80;", "# (IPv6 listen dropped by the test)"),
    ("listen 443 ssl http2;", "listen 127.0.0.1:{https} ssl http2;"),
    ("listen [::]:443 ssl http2;", "# (IPv6 listen dropped by the test)"),
    ("server 127.0.0.1:8080;", "server 127.0.0.1:{upstream};"),
    ("/etc/letsencrypt/live/news.example.org/fullchain.pem", "{tmp}/cert.pem"),
    ("/etc/letsencrypt/live/news.example.org/privkey.pem", "{tmp}/key.pem"),
    ("/usr/local/share/gazette/static", "{static}"),
    ("root /var/lib/gazette;", "root {data};"),
    ("/var/log/nginx/", "{tmp}/"),
    ("/var/www/certbot", "{tmp}/acme"),
]


def site_for_test(values):
    """config/nginx.conf with the SUBSTITUTIONS made on its "#@" lines."""
    with open(SITE, encoding="utf-8") as f:
        lines = f.read().split("\n")
    used = set()
    out = []
    for line in lines:
        if "#@" in line:
            for i, (old, new) in enumerate(SUBSTITUTIONS):
                if old in line:
                    line = line.replace(old, new.format(**values))
                    used.add(i)
        out.append(line)
    missing = [SUBSTITUTIONS[i][0] for i in range(len(SUBSTITUTIONS))
               if i not in used]
    if missing:
        raise AssertionError("config/nginx.conf no longer has, on a #@ "
                             "line: %s" % missing)
    text = "\n".join(out)
    for prod in ("/etc/letsencrypt", "/var/", ":8080", "[::]"):
        if prod in re.sub(r"#.*", "", text):
            raise AssertionError("a production value is left: %s" % prod)
    return text


MAIN_CONF = """\
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    access_log {tmp}/main-access.log;
    include {tmp}/site.conf;
}}
"""


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Answer:
    def __init__(self, r, body):
        self.status = r.status
        self.headers = r.headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class BehindNginx(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not NGINX:
            raise unittest.SkipTest("nginx not installed (scripts/setup.sh "
                                    "--tests installs Debian's nginx)")
        if not OPENSSL:
            raise unittest.SkipTest("openssl not installed")
        cls.tmp = harness.temp_dir("gz-nginx-")
        os.chmod(cls.tmp, 0o755)
        cls.data = os.path.join(cls.tmp, "data")
        os.makedirs(os.path.join(cls.data, "media"))
        os.makedirs(os.path.join(cls.tmp, "acme"))
        cls.nginx = None
        cls.gz = harness.Gazette(env={
            "GAZETTE_TRUSTED_PROXIES": "127.0.0.1",
            "GAZETTE_DATA_DIR": cls.data})
        try:
            cls.gz.prepare()
            cls.gz.cli_ok("user", "add", "--email", "admin@example.org",
                          "--name", "Ada Admin", "--role", "admin",
                          input=PASSWORD + "\n")
            cls.gz.start(prepare=False)
            cls.start_nginx()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def start_nginx(cls):
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=" + HOST,
                        "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1"
                        % HOST, "-keyout", os.path.join(cls.tmp, "key.pem"),
                        "-out", os.path.join(cls.tmp, "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        last = ""
        for attempt in range(3):
            cls.http_port = harness.free_port()
            cls.https_port = harness.free_port()
            values = {"http": cls.http_port, "https": cls.https_port,
                      "upstream": cls.gz.port, "tmp": cls.tmp,
                      "static": os.path.join(harness.ROOT, "static"),
                      "data": cls.data}
            with open(os.path.join(cls.tmp, "site.conf"), "w") as f:
                f.write(site_for_test(values))
            # As root, nginx's workers would become "nobody"; keep them the
            # current user, who can read the temporary folder.
            user = ("user %s;" % pwd.getpwuid(os.getuid()).pw_name
                    if os.geteuid() == 0 else "")
            with open(os.path.join(cls.tmp, "nginx.conf"), "w") as f:
                f.write(MAIN_CONF.format(tmp=cls.tmp, user=user))
            check = subprocess.run(
                [NGINX, "-t", "-p", cls.tmp, "-c",
                 os.path.join(cls.tmp, "nginx.conf"), "-e",
                 os.path.join(cls.tmp, "error.log")],
                capture_output=True, text=True, timeout=30)
            if check.returncode != 0:
                raise AssertionError("nginx -t refuses the configuration:\n"
                                     + check.stderr)
            cls.nginx = subprocess.Popen(
                [NGINX, "-p", cls.tmp, "-c",
                 os.path.join(cls.tmp, "nginx.conf"), "-e",
                 os.path.join(cls.tmp, "error.log"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL)
            if wait_port(cls.https_port) and wait_port(cls.http_port):
                return
            last = cls.stop_nginx()
        raise AssertionError("nginx did not start: %s" % last)

    @classmethod
    def stop_nginx(cls):
        p, cls.nginx = cls.nginx, None
        if not p:
            return ""
        if p.poll() is None:
            p.send_signal(signal.SIGQUIT)   # graceful
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        err = p.stderr.read().decode("utf-8", "replace")
        p.stderr.close()
        return err

    @classmethod
    def stop_all(cls):
        cls.stop_nginx()
        rc = cls.gz.stop() if cls.gz else 0
        if cls.gz:
            cls.gz.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        return rc

    @classmethod
    def tearDownClass(cls):
        rc = cls.stop_all()
        if rc != 0:
            raise AssertionError("gazette did not stop cleanly: %r" % rc)

    # ---- clients -----------------------------------------------------

    def tls_context(self):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.tmp, "cert.pem"))
        return ctx

    def https(self, method, path, headers=None, body=None, source=None):
        c = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, timeout=15,
            context=self.tls_context(),
            source_address=(source, 0) if source else None)
        try:
            h = {"Host": "%s:%d" % (HOST, self.https_port)}
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Answer(r, r.read())
        finally:
            c.close()

    def plain(self, port, method, path, headers=None, body=None,
              source=None):
        c = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=15,
            source_address=(source, 0) if source else None)
        try:
            c.request(method, path, body=body, headers=dict(headers or {}))
            r = c.getresponse()
            return Answer(r, r.read())
        finally:
            c.close()

    def gazette_saw(self, path):
        """gazette's access-log line of path, or None."""
        return self.gz.wait_access_line(lambda l: l.split()[1:2] == [path],
                                        timeout=1.0)

    def login(self, send, source=None, extra=None):
        body = ("email=admin%40example.org&password=" +
                PASSWORD.replace(" ", "+")).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(extra or {})
        return send("POST", "/admin/login", h, body, source)

    # ---- TLS, HTTP/2, redirect -----------------------------------------

    def test_https_serves_the_site_with_its_security_headers(self):
        r = self.https("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertIn("text/html", r.header("Content-Type"))
        self.assertIn("<html", r.text.lower())
        # gazette's own headers pass through nginx untouched ...
        self.assertIn("frame-ancestors 'none'",
                      r.header("Content-Security-Policy") or "")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("X-Frame-Options"), "DENY")
        self.assertTrue(r.header("Referrer-Policy"))
        self.assertTrue(r.header("X-Request-Id"))
        self.assertTrue(r.header("ETag"))
        # ... and nginx adds HSTS.
        self.assertIn("max-age=", r.header("Strict-Transport-Security") or "")
        # gazette's gzip too.
        r = self.https("GET", "/", {"Accept-Encoding": "gzip"})
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn(b"<html", zlib.decompress(r.body, 31).lower())

    def test_alpn_negotiates_http2(self):
        ctx = self.tls_context()
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=HOST) as s:
                self.assertEqual(s.selected_alpn_protocol(), "h2")
                self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))

    def test_http2_request_and_sign_in_with_origin(self):
        # Python has no HTTP/2 client: curl (with nghttp2, as Debian's).
        curl = shutil.which("curl")
        if not curl or "HTTP2" not in subprocess.run(
                [curl, "-V"], capture_output=True, text=True).stdout:
            self.skipTest("no curl with HTTP/2")
        url = "https://%s:%d" % (HOST, self.https_port)
        base = [curl, "-s", "--http2", "--max-time", "15", "--cacert",
                os.path.join(self.tmp, "cert.pem"), "--resolve",
                "%s:%d:127.0.0.1" % (HOST, self.https_port)]
        p = subprocess.run(base + ["-o", "/dev/null", "-w",
                                   "%{http_version} %{http_code}", url + "/"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.stdout, "2 200", p.stderr)
        # An HTTP/2 form post with the browser's Origin passes gazette's
        # same-origin check: nginx passes the :authority as Host.
        p = subprocess.run(base + [
            "-D", "-", "-o", "/dev/null", "-H", "Origin: " + url, "--data",
            "email=admin%40example.org&password=" +
            PASSWORD.replace(" ", "+"), url + "/admin/login"],
            capture_output=True, text=True, timeout=30)
        head = p.stdout.lower()
        self.assertTrue(head.startswith("http/2 303"), p.stdout[:300])
        self.assertRegex(head, r"set-cookie: gz_session=[0-9a-f]{64};.*secure")

    def test_old_tls_is_refused(self):
        ctx = self.tls_context()
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except ssl.SSLError:
            pass
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as raw:
            with self.assertRaises((ssl.SSLError, OSError)):
                ctx.wrap_socket(raw, server_hostname=HOST).close()

    def test_plain_http_redirects_to_https(self):
        r = self.plain(self.http_port, "GET", "/tag/world?page=2",
                       {"Host": HOST})
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"),
                         "https://%s/tag/world?page=2" % HOST)
        # certbot's webroot challenge stays on plain HTTP.
        name = "tok-" + os.urandom(6).hex()
        os.makedirs(os.path.join(self.tmp, "acme", ".well-known",
                                 "acme-challenge"), exist_ok=True)
        with open(os.path.join(self.tmp, "acme", ".well-known",
                               "acme-challenge", name), "w") as f:
            f.write("challenge-" + name)
        r = self.plain(self.http_port, "GET",
                       "/.well-known/acme-challenge/" + name, {"Host": HOST})
        self.assertEqual((r.status, r.text), (200, "challenge-" + name))

    # ---- the client's address -------------------------------------------

    def test_gazette_logs_the_forwarded_client_not_the_proxy(self):
        client = harness.new_client_address()
        path = "/probe-" + os.urandom(6).hex()
        r = self.https("GET", path, {"X-Forwarded-For": "203.0.113.66"},
                       source=client)
        self.assertEqual(r.status, 404)
        line = self.gazette_saw(path)
        self.assertIsNotNone(line, "gazette never saw %s" % path)
        # The last word is the client: nginx's peer, not 127.0.0.1 (nginx
        # itself) nor what the client wrote into X-Forwarded-For.
        self.assertEqual(line.split()[-1], client, line)

    def test_login_limit_counts_each_client_behind_the_proxy(self):
        a, b = harness.new_client_address(), harness.new_client_address()

        def attempt(src, n):
            body = ("email=nobody%d%%40example.org&password=wrong-pass"
                    % n).encode()
            return self.https("POST", "/admin/login", {
                "Content-Type": "application/x-www-form-urlencoded"}, body,
                source=src)
        for i in range(20):
            self.assertEqual(attempt(a, i).status, 401, i)
        self.assertEqual(attempt(a, 99).status, 429,
                         "client a is over its 20 attempts")
        # Another client behind the same proxy is not: the limit is per
        # client, not per proxy ...
        self.assertEqual(attempt(b, 100).status, 401)
        # ... and a forged X-Forwarded-For does not give a an escape.
        body = b"email=x%40example.org&password=wrong-pass"
        r = self.https("POST", "/admin/login", {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": "198.51.100.%d" % (os.getpid() % 250)}, body,
            source=a)
        self.assertEqual(r.status, 429)

    # ---- cookies -----------------------------------------------------------

    def session_cookie(self, r):
        self.assertEqual(r.status, 303, r.text[:300])
        return [v for v in r.header_all("Set-Cookie")
                if v.startswith("gz_session=")][0]

    def test_session_cookie_is_secure_through_tls(self):
        origin = {"Origin": "https://%s:%d" % (HOST, self.https_port)}
        cookie = self.session_cookie(self.login(
            lambda m, p, h, b, s: self.https(m, p, h, b, s),
            harness.new_client_address(), origin))
        self.assertIn("Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        # Straight to gazette over plain HTTP: no Secure flag.
        cookie = self.session_cookie(self.login(
            lambda m, p, h, b, s: self.plain(self.gz.port, m, p, h, b, s)))
        self.assertNotIn("Secure", cookie)

    # ---- files from disk -----------------------------------------------

    def test_static_files_come_from_nginx_with_their_caching(self):
        page = self.https("GET", "/").text
        m = re.search(r'href="(/static/[^"]+\.[0-9a-f]{8}\.css)"', page)
        self.assertIsNotNone(m, "no fingerprinted stylesheet in the page")
        url = m.group(1)
        r = self.https("GET", url, {"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertIn("text/css", r.header("Content-Type"))
        self.assertEqual(r.header("Cache-Control"),
                         "public, max-age=31536000, immutable")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", r.header("Vary") or "")
        css = zlib.decompress(r.body, 31)
        # The very bytes gazette serves under that name.
        direct = self.plain(self.gz.port, "GET", url)
        self.assertEqual((direct.status, css), (200, direct.body))
        # The plain name revalidates.
        plain = re.sub(r"\.[0-9a-f]{8}\.css$", ".css", url)
        r = self.https("GET", plain)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, direct.body)
        self.assertEqual(r.header("Cache-Control"), "public, no-cache")
        etag = r.header("ETag")
        self.assertTrue(etag)
        r = self.https("GET", plain, {"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        # nginx answered all of these itself: gazette saw only the direct
        # request.
        time.sleep(0.2)
        seen = [l for l in self.gz.access_lines()
                if l.split()[1:2] in ([url], [plain])]
        self.assertEqual(len(seen), 1, seen)
        # Outside the folder: nothing.
        self.assertIn(self.https("GET", "/static/../config/gazette.conf")
                      .status, (400, 404))
        self.assertEqual(self.https("GET", "/static/nope.css").status, 404)

    def test_media_come_from_nginx_immutable(self):
        png = (b"\x89PNG\r\n\x1a\n" + os.urandom(64))
        name = hashlib.sha256(png).hexdigest() + ".png"
        with open(os.path.join(self.data, "media", name), "wb") as f:
            f.write(png)
        os.chmod(os.path.join(self.data, "media", name), 0o644)
        r = self.https("GET", "/media/" + name)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, png)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("Cache-Control"),
                         "public, max-age=31536000, immutable")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIsNone(self.gazette_saw("/media/" + name))
        # Only names of the media shape: an upload's temporary file is not.
        with open(os.path.join(self.data, "media", "upload-x1"), "wb") as f:
            f.write(b"partial")
        self.assertEqual(self.https("GET", "/media/upload-x1").status, 404)
        self.assertEqual(self.https("GET", "/media/" + name[:-3] + "txt")
                         .status, 404)

    def test_metrics_are_not_public(self):
        self.assertEqual(self.https("GET", "/metrics").status, 404)
        self.assertEqual(self.plain(self.gz.port, "GET", "/metrics").status,
                         200)

    def test_an_upload_past_the_limit_is_refused_by_nginx(self):
        # Refused from its Content-Length, before a byte of it is read.
        r = self.https("POST", "/admin/media", {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(12 * 1024 * 1024)})
        self.assertEqual(r.status, 413)


class TrustedProxies(harness.ServerTestCase):
    """Straight to gazette, which trusts 127.0.0.1 only; per-address
    connection limit 2."""

    ENV = {"GAZETTE_TRUSTED_PROXIES": "127.0.0.1, ::1",
           "GAZETTE_PER_IP_CONNECTIONS": "2"}

    def logged_client(self, path):
        line = self.gz.wait_access_line(lambda l: l.split()[1:2] == [path])
        self.assertIsNotNone(line, path)
        return line.split()[-1]

    def test_untrusted_peer_cannot_forge_its_address(self):
        src = harness.new_client_address()
        path = "/forged-" + os.urandom(6).hex()
        self.gz.request("GET", path, {"X-Forwarded-For": "203.0.113.9"},
                        source=src)
        self.assertEqual(self.logged_client(path), src)

    def test_trusted_peer_names_the_client(self):
        path = "/named-" + os.urandom(6).hex()
        self.gz.request("GET", path, {
            "X-Forwarded-For": "203.0.113.1, 198.51.100.7, 127.0.0.1"})
        # rightmost untrusted: the trusted hop 127.0.0.1 is skipped, and
        # what 198.51.100.7 was told (203.0.113.1) is not believed.
        self.assertEqual(self.logged_client(path), "198.51.100.7")
        # Two header fields are one list.
        path = "/named2-" + os.urandom(6).hex()
        self.gz.raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "X-Forwarded-For: 192.0.2.1\r\n"
                     "X-Forwarded-For: [2001:db8::5]\r\n\r\n" % path).encode(),
                    wait_close=True)
        self.assertEqual(self.logged_client(path), "2001:db8::5")

    def test_junk_forwarded_for_keeps_the_proxy_and_is_counted(self):
        before = self.malformed()
        path = "/junk-" + os.urandom(6).hex()
        self.gz.request("GET", path, {"X-Forwarded-For": "unknown"})
        self.assertEqual(self.logged_client(path), "127.0.0.1")
        self.assertEqual(self.malformed(), before + 1)
        self.assertIn("[4302]", self.gz.stderr_text())

    def malformed(self):
        r = self.gz.get("/metrics")
        m = re.search(r"^gazette_forwarded_for_malformed_total (\d+)$",
                      r.text, re.M)
        self.assertIsNotNone(m)
        return int(m.group(1))

    def test_forwarded_proto_only_from_a_trusted_peer(self):
        self.gz.cli_ok("user", "add", "--email", "p@example.org", "--name",
                       "P", "--role", "admin", input=PASSWORD + "\n")
        body = ("email=p%40example.org&password=" +
                PASSWORD.replace(" ", "+")).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded",
             "X-Forwarded-Proto": "https"}

        def cookie(source):
            r = self.gz.request("POST", "/admin/login", h, body,
                                source=source)
            self.assertEqual(r.status, 303)
            return [v for v in r.header_all("Set-Cookie")
                    if v.startswith("gz_session=")][0]
        self.assertIn("Secure", cookie(None))            # 127.0.0.1
        self.assertNotIn("Secure", cookie(harness.new_client_address()))

    def test_per_address_limit_spares_the_trusted_proxy(self):
        def hold(source):
            s = socket.create_connection(
                ("127.0.0.1", self.gz.port), timeout=5,
                source_address=(source, 0) if source else None)
            return s

        def third_answer(source):
            held = [hold(source), hold(source)]
            try:
                time.sleep(0.1)
                r = self.gz.request("GET", "/healthz", source=source)
                return r.status
            finally:
                for s in held:
                    s.close()
        self.assertEqual(third_answer(harness.new_client_address()), 503)
        self.assertEqual(third_answer("127.0.0.1"), 200)

    def test_a_bad_entry_stops_start_up_naming_it(self):
        p = self.gz.cli("--set", "server.trusted_proxies=127.0.0.1, "
                        "10.0.0.0/33", "migrate")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('"10.0.0.0/33"', p.stderr)
        self.assertIn("server.trusted_proxies", p.stderr)
        p = self.gz.cli("migrate", env={"GAZETTE_TRUSTED_PROXIES":
                                        "localhost"})
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('"localhost"', p.stderr)


class SystemdUnit(unittest.TestCase):

    def test_systemd_analyze_verify_accepts_the_unit(self):
        if not SYSTEMD_ANALYZE:
            self.skipTest("systemd-analyze not installed (package systemd)")
        with open(UNIT, encoding="utf-8") as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/local/bin/gazette --config "
                      "/etc/gazette/gazette.conf serve", unit)
        for want in ("User=gazette", "ProtectSystem=strict",
                     "ReadWritePaths=/var/lib/gazette", "NoNewPrivileges=yes",
                     "PrivateTmp=yes", "ProtectHome=yes",
                     "Restart=on-failure", "KillSignal=SIGTERM",
                     "TimeoutStopSec=", "LimitNOFILE="):
            self.assertIn(want, unit)
        tmp = harness.temp_dir("gz-unit-")
        try:
            copy = os.path.join(tmp, "gazette.service")
            with open(copy, "w", encoding="utf-8") as f:
                f.write(unit.replace("/usr/local/bin/gazette",
                                     harness.gazette_bin()))
            p = subprocess.run([SYSTEMD_ANALYZE, "verify", copy],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual((p.returncode, p.stderr.strip()), (0, ""),
                             p.stdout)
            # The check can fail: a value systemd ignores is a warning.
            with open(copy, "w", encoding="utf-8") as f:
                f.write(unit.replace("/usr/local/bin/gazette",
                                     harness.gazette_bin())
                        .replace("ProtectSystem=strict",
                                 "ProtectSystem=sometimes"))
            p = subprocess.run([SYSTEMD_ANALYZE, "verify", copy],
                               capture_output=True, text=True, timeout=60)
            self.assertIn("sometimes", p.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
