vcl 4.1;

import std;

# Varnish in front of Gazette (docs/OPERATIONS.md, "Behind Varnish or a
# CDN"). Varnish keeps public pages as long as Gazette's s-maxage says
# (cdn.s_maxage), and Gazette bans exactly the pages a change touches:
# each public answer carries its dependency keys in Surrogate-Key, and on
# every change Gazette (cdn.varnish = http://127.0.0.1:6091) sends
#
#     BAN / HTTP/1.1
#     X-Purge-Keys: story-12 home feeds any
#
# which this file turns into one ban of the objects holding any of those
# keys. Bans are taken only on a listener of their own, named "purge",
# that readers never reach:
#
#     varnishd -a :6081 -a purge=127.0.0.1:6091 -f /etc/varnish/default.vcl
#
# (a TLS server on this machine, in front, makes every reader's request
# come from 127.0.0.1 too, so the address alone proves nothing). Tested by
# tests/http/test_cdn.py, which runs Debian's varnishd with this very file
# (it changes only the backend's port).

backend gazette {
    .host = "127.0.0.1";
    .port = "8080";
    .probe = {
        .url = "/healthz";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
    }
}

# Who may ban, on the purge listener: Gazette, on this machine. Add its
# address if it runs elsewhere.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (local.socket == "purge" && req.method != "BAN") {
        return (synth(405, "This listener takes BAN only"));
    }
    if (req.method == "BAN") {
        if (local.socket != "purge" || client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        # Keys are made of [a-z0-9-] (ids and slugs), so the list can go
        # into a regular expression as it is.
        if (req.http.X-Purge-Keys !~ "^[a-z0-9-]+( [a-z0-9-]+)*$") {
            return (synth(400, "X-Purge-Keys: expected keys separated by spaces"));
        }
        # On obj.* only, so the ban lurker clears them in the background.
        # A ban that fails is a 500, so Gazette tries again.
        if (!std.ban({"obj.http.Surrogate-Key ~ (^|\s)("} +
                     regsuball(req.http.X-Purge-Keys, " ", "|") +
                     {")(\s|$)"})) {
            return (synth(500, std.ban_error()));
        }
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The newsroom, API callers with credentials, signed-in users, the
    # health and metrics endpoints: always from Gazette itself.
    if (req.url ~ "^/(admin|healthz|metrics)" || req.http.Authorization ||
        req.http.Cookie ~ "(^|;\s*)gz_session=") {
        return (pass);
    }
    # Public pages are the same for every reader: cookies play no part.
    unset req.http.Cookie;
    # Pages answer JSON to an Accept with application/json and without
    # text/html (Gazette's rule), else HTML: two variants, not one per
    # browser's Accept string.
    if (req.http.Accept ~ "application/json" &&
        req.http.Accept !~ "text/html") {
        set req.http.Accept = "application/json";
    } else {
        unset req.http.Accept;
    }
    return (hash);
}

# How long a page is kept is Gazette's to say: Varnish reads s-maxage
# (cdn.s_maxage) as the TTL; the grace comes from the stale-while-
# revalidate (cdn.stale_while_revalidate) of CDN-Cache-Control, which
# Gazette sends to shared caches only (browsers must not show old pages).
sub vcl_backend_response {
    if (beresp.http.CDN-Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.CDN-Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s"), 0s);
    }
}

sub vcl_deliver {
    # The keys are for this cache; readers have no use for them.
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    unset resp.http.CDN-Cache-Control;
    unset resp.http.Surrogate-Control;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
