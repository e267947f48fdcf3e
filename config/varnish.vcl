vcl 4.1;

import std;

# Varnish in front of Gazette (docs/OPERATIONS.md, "Behind Varnish or a
# CDN"). Varnish keeps public pages as long as Gazette's s-maxage says
# (cdn.s_maxage), and Gazette bans exactly the pages a change touches:
# each public answer carries its dependency keys in Surrogate-Key, and on
# every change Gazette (cdn.varnish = http://127.0.0.1:6081) sends
#
#     BAN / HTTP/1.1
#     X-Purge-Keys: story-12 home feeds any
#
# which this file turns into one ban of the objects holding any of those
# keys. Tested by tests/http/test_varnish.py, which runs Debian's varnishd
# with this very file (it changes only the backend's port).

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

# Who may ban: Gazette, on this machine. Add its address if it runs
# elsewhere.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
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
# (cdn.s_maxage) as the TTL and stale-while-revalidate
# (cdn.stale_while_revalidate) as the grace, so vcl_backend_response is
# the built-in one.

sub vcl_deliver {
    # The keys are for this cache; readers have no use for them.
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
