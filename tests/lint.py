#!/usr/bin/env python3
"""Gazette's lint: the rules of STYLE.md that a grep can hold.

A smaller cousin of Fossil's codecheck. Each check reads the tree, lists
every violation as `path:line: message`, and counts once: passed when it
found nothing, failed otherwise. The last line is `N passed, N failed`, and
the exit status is 1 when any check failed.

C checks run on the code with comments and string literals blanked out
(lines and columns kept), so words in comments or text never trip them:

  sqlite-outside-store   sqlite3_* calls or <sqlite3.h> outside src/store/
  mhd-outside-http       MHD_* calls or <microhttpd.h> outside src/http/
  banned-functions       atoi/atol/atoll/atof, sprintf/vsprintf, strcpy,
                         strcat, gets anywhere in src/
  sql-format-strings     sqlite3_mprintf/vmprintf/snprintf (SQL built with
                         format strings, %q included)
  sql-literal            the SQL argument of gz_db_stmt() is GZ_SQL("...")
  weak-random            rand()/srand()/random() in src/ (tokens come from
                         getrandom)
  line-comments          // comments in src/ and include/ (/* */ only)
  log-ids                gz_log_err/gz_log_info ids are literal, positive
                         and never used twice

Template checks (templates/*.mustache):

  raw-tags               {{{x}}} and {{& x}} only for names ending in _html
  quoted-attributes      every attribute value is quoted
  inline-script          <script> has a src, or is application/ld+json
  event-handlers         no on*= attributes
  style-attributes       no style= attributes
  javascript-urls        no javascript:, vbscript: or data: attribute values

A self-test first runs every check on a small built-in tree with known
violations (and on clean lines), so a regex that stops matching fails the
lint instead of passing silently.

Usage: tests/lint.py [REPO_ROOT]   (default: the parent of tests/)
"""
import os
import re
import sys


# ---- reading C -----------------------------------------------------------

def blank_c(text):
    """Returns text with comments, string and character literals replaced
    by spaces (newlines kept), plus the list of // comment positions
    (offsets) found outside strings and block comments."""
    out = []
    line_comments = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and i + 1 < n and text[i + 1] == '*':
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:end]))
            i = end
        elif c == '/' and i + 1 < n and text[i + 1] == '/':
            line_comments.append(i)
            end = text.find('\n', i)
            end = n if end < 0 else end
            out.append(' ' * (end - i))
            i = end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j, n)
            if j < n and text[j] == c:
                # Keep the quotes so a literal is still visible as one.
                j += 1
                out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            else:
                out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out), line_comments


def line_of(text, offset):
    return text.count('\n', 0, offset) + 1


class Tree:
    def __init__(self, root):
        self.root = root
        self.cache = {}

    def files(self, top, exts):
        base = os.path.join(self.root, top)
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(exts):
                    found.append(os.path.relpath(os.path.join(dirpath, name),
                                                 self.root))
        return found

    def read(self, rel):
        if rel not in self.cache:
            with open(os.path.join(self.root, rel), encoding='utf-8',
                      errors='replace') as f:
                raw = f.read()
            code, slashes = blank_c(raw)
            self.cache[rel] = (raw, code, slashes)
        return self.cache[rel]

    def c_files(self, *tops):
        out = []
        for top in tops:
            out += self.files(top, ('.c', '.h'))
        return out


def under(rel, folder):
    return rel.replace(os.sep, '/').startswith(folder.rstrip('/') + '/')


def grep_code(tree, files, pattern, message, skip=lambda rel: False):
    """Violations of a regex over blanked code."""
    bad = []
    rx = re.compile(pattern)
    for rel in files:
        if skip(rel):
            continue
        _, code, _ = tree.read(rel)
        for m in rx.finditer(code):
            bad.append('%s:%d: %s' % (rel, line_of(code, m.start()),
                                      message % m.group(0).strip()))
    return bad


def grep_includes(tree, files, header, skip):
    bad = []
    rx = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', re.M)
    for rel in files:
        if skip(rel):
            continue
        raw, _, _ = tree.read(rel)
        for m in rx.finditer(raw):
            if os.path.basename(m.group(1)) == header:
                bad.append('%s:%d: includes %s' % (rel, line_of(raw, m.start()),
                                                    header))
    return bad


# ---- C checks ------------------------------------------------------------

def check_sqlite_outside_store(tree):
    files = tree.c_files('src', 'include')
    skip = lambda rel: under(rel, 'src/store')
    return (grep_code(tree, files, r'\bsqlite3_\w+',
                      '%s outside src/store/', skip) +
            grep_includes(tree, files, 'sqlite3.h', skip))


def check_mhd_outside_http(tree):
    files = tree.c_files('src', 'include')
    skip = lambda rel: under(rel, 'src/http')
    return (grep_code(tree, files, r'\bMHD_\w+', '%s outside src/http/', skip) +
            grep_includes(tree, files, 'microhttpd.h', skip))


def check_banned_functions(tree):
    return grep_code(
        tree, tree.c_files('src'),
        r'\b(?:atoi|atol|atoll|atof|sprintf|vsprintf|strcpy|strcat|gets)'
        r'\s*\(',
        'banned call %s) (use gz_parse_int, snprintf, gz_buf, fgets)')


def check_sql_format_strings(tree):
    return grep_code(tree, tree.c_files('src'),
                     r'\bsqlite3_(?:v?mprintf|v?snprintf|str_appendf)\s*\(',
                     'SQL built with a format string: %s)')


def split_args(code, open_paren):
    """The argument texts of the call whose '(' is at open_paren."""
    depth, args, start = 0, [], open_paren + 1
    i = open_paren
    while i < len(code):
        c = code[i]
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                args.append(code[start:i])
                return args
        elif c == ',' and depth == 1:
            args.append(code[start:i])
            start = i + 1
        i += 1
    return args


def check_sql_literal(tree):
    bad = []
    rx = re.compile(r'\bgz_db_stmt\s*\(')
    for rel in tree.c_files('src', 'include'):
        _, code, _ = tree.read(rel)
        for m in rx.finditer(code):
            args = split_args(code, m.end() - 1)
            if len(args) != 2:
                bad.append('%s:%d: gz_db_stmt() needs two arguments'
                           % (rel, line_of(code, m.start())))
                continue
            first, sql = args[0].strip(), args[1].strip()
            # The prototype and the definition name their parameters.
            if first.startswith('struct gz_db'):
                continue
            if not re.match(r'^GZ_SQL\s*\(', sql):
                bad.append('%s:%d: gz_db_stmt() SQL is not a GZ_SQL("...") '
                           'literal: %s' % (rel, line_of(code, m.start()),
                                            ' '.join(sql.split())[:60]))
                continue
            inner = split_args(sql, sql.index('('))
            # Inside GZ_SQL: string literals and macros made of them only.
            body = inner[0] if len(inner) == 1 else ','.join(inner)
            rest = re.sub(r'"[^"\n]*"', '', body)
            if not re.fullmatch(r'[\sA-Z0-9_]*', rest):
                bad.append('%s:%d: GZ_SQL() holds more than string literals: '
                           '%s' % (rel, line_of(code, m.start()),
                                   ' '.join(rest.split())[:60]))
    return bad


def check_weak_random(tree):
    return grep_code(tree, tree.c_files('src'),
                     r'\b(?:rand|srand|random|drand48|lrand48)\s*\(',
                     'weak randomness: %s) (use gz_random)')


def check_line_comments(tree):
    bad = []
    for rel in tree.c_files('src', 'include'):
        raw, _, slashes = tree.read(rel)
        for off in slashes:
            bad.append('%s:%d: // comment (STYLE: /* */ only)'
                       % (rel, line_of(raw, off)))
    return bad


def check_log_ids(tree):
    bad, seen = [], {}
    rx = re.compile(r'\bgz_log_(err|info)\s*\(')
    for rel in tree.c_files('src'):
        _, code, _ = tree.read(rel)
        for m in rx.finditer(code):
            where = '%s:%d' % (rel, line_of(code, m.start()))
            args = split_args(code, m.end() - 1)
            first = args[0].strip() if args else ''
            if re.fullmatch(r'(?:const\s+)?int\s+\w+', first):
                continue  # the prototype or definition
            if not re.fullmatch(r'\d+', first):
                bad.append('%s: log id is not a number literal: %s'
                           % (where, first[:40]))
                continue
            n = int(first)
            if n <= 0:
                bad.append('%s: log id %d is not positive' % (where, n))
            if n in seen:
                bad.append('%s: log id %d already used at %s'
                           % (where, n, seen[n]))
            else:
                seen[n] = where
    if not seen:
        bad.append('src: no gz_log_err/gz_log_info call found (scan broken?)')
    return bad


# ---- templates -----------------------------------------------------------

MUSTACHE = re.compile(r'\{\{\{.*?\}\}\}|\{\{.*?\}\}', re.S)


def templates(tree):
    return tree.files('templates', ('.mustache',))


def read_tpl(tree, rel):
    with open(os.path.join(tree.root, rel), encoding='utf-8',
              errors='replace') as f:
        return f.read()


def check_raw_tags(tree):
    bad = []
    rx = re.compile(r'\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{&\s*([^}]*?)\s*\}\}')
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for m in rx.finditer(text):
            name = m.group(1) if m.group(1) is not None else m.group(2)
            if not name.endswith('_html'):
                bad.append('%s:%d: raw tag %s on a name not ending in _html'
                           % (rel, line_of(text, m.start()), m.group(0)))
    return bad


def html_tags(text):
    """(offset, tag text) for each HTML start tag, with every Mustache tag
    inside replaced by \\x00 so its own braces and quotes do not count."""
    flat = MUSTACHE.sub(lambda m: '\x00' + '\n' * m.group(0).count('\n'),
                        text)
    # Offsets in `flat` differ from `text`; map lines through `flat`, which
    # keeps every newline.
    for m in re.finditer(r'<([A-Za-z][\w:-]*)((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>',
                         flat):
        yield m.start(), m.group(1), m.group(2), flat


ATTR = re.compile(r'([^\s"\'<>/=\x00]+)\s*=\s*("|\'|[^\s"\'=<>`]*)')


def attrs(body):
    """(name, first char of the value or the unquoted value) per attribute,
    where a Mustache tag is \\x00."""
    i = 0
    out = []
    while i < len(body):
        m = ATTR.search(body, i)
        if not m:
            break
        name, val = m.group(1), m.group(2)
        if val in ('"', "'"):
            end = body.find(val, m.end())
            end = len(body) if end < 0 else end + 1
            out.append((name, val, body[m.end():end - 1]))
            i = end
        else:
            out.append((name, None, val))
            i = m.end()
    return out


def check_quoted_attributes(tree):
    bad = []
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for off, tag, body, flat in html_tags(text):
            for name, quote, val in attrs(body):
                if quote is None:
                    bad.append('%s:%d: <%s %s=%s> is not quoted'
                               % (rel, line_of(flat, off), tag, name,
                                  val.replace('\x00', '{{...}}') or '""'))
    return bad


def check_inline_script(tree):
    bad = []
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for off, tag, body, flat in html_tags(text):
            if tag.lower() != 'script':
                continue
            a = {n.lower(): v for n, q, v in attrs(body)}
            if 'src' in a:
                continue
            if a.get('type', '').lower() == 'application/ld+json':
                continue
            bad.append('%s:%d: inline <script> (CSP allows none; only '
                       'src= or application/ld+json)'
                       % (rel, line_of(flat, off)))
    return bad


def check_event_handlers(tree):
    bad = []
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for off, tag, body, flat in html_tags(text):
            for name, q, v in attrs(body):
                if re.fullmatch(r'on\w+', name, re.I):
                    bad.append('%s:%d: <%s %s=...>: inline event handler'
                               % (rel, line_of(flat, off), tag, name))
    return bad


def check_style_attributes(tree):
    bad = []
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for off, tag, body, flat in html_tags(text):
            for name, q, v in attrs(body):
                if name.lower() == 'style':
                    bad.append('%s:%d: <%s style=...>: inline style (CSP)'
                               % (rel, line_of(flat, off), tag))
            if tag.lower() == 'style':
                bad.append('%s:%d: <style> element (CSP)'
                           % (rel, line_of(flat, off)))
    return bad


def check_javascript_urls(tree):
    bad = []
    for rel in templates(tree):
        text = read_tpl(tree, rel)
        for off, tag, body, flat in html_tags(text):
            for name, q, v in attrs(body):
                if re.match(r'\s*(?:javascript|vbscript|data)\s*:', v, re.I):
                    bad.append('%s:%d: <%s %s="%s...">: script URL'
                               % (rel, line_of(flat, off), tag, name,
                                  v.strip()[:20]))
    return bad


def check_migrations_listed(tree):
    """Every sql/NNNN_name.sql is named in meson.build's migration list
    (listed, not globbed, so a build directory sees a new one)."""
    try:
        meson = tree.read('meson.build')[0]
    except OSError:
        return ['meson.build: not found']
    return ['%s: not listed in meson.build (migrations_c)' % rel
            for rel in tree.files('sql', ('.sql',))
            if "'%s'" % rel.replace(os.sep, '/') not in meson]


CHECKS = [
    ('sqlite-outside-store', check_sqlite_outside_store),
    ('mhd-outside-http', check_mhd_outside_http),
    ('banned-functions', check_banned_functions),
    ('sql-format-strings', check_sql_format_strings),
    ('sql-literal', check_sql_literal),
    ('weak-random', check_weak_random),
    ('line-comments', check_line_comments),
    ('log-ids', check_log_ids),
    ('raw-tags', check_raw_tags),
    ('quoted-attributes', check_quoted_attributes),
    ('inline-script', check_inline_script),
    ('event-handlers', check_event_handlers),
    ('style-attributes', check_style_attributes),
    ('javascript-urls', check_javascript_urls),
    ('migrations-listed', check_migrations_listed),
]


# A tiny tree with known violations: every check must find exactly its
# own, and nothing in the clean files. Guards against a regex that quietly
# stops matching.
FIXTURE = {
    'src/store/ok.c':
        '#include <sqlite3.h>\n'
        '/* ok: sqlite3_exec in a comment, "//" too */\n'
        'static const char *u = "http://x//y"; /* not a comment */\n'
        'void f(struct gz_db *db) {\n'
        '    sqlite3_stmt *st = gz_db_stmt(db, GZ_SQL("SELECT (1)" COLS));\n'
        '    st = gz_db_stmt(db,\n'
        '                    GZ_SQL("SELECT 2, \'a,b\'"));\n'
        '    gz_log_err(7001, "x %s", "y");\n'
        '}\n'
        'sqlite3_stmt *gz_db_stmt(struct gz_db *db, const char *sql);\n',
    'src/store/plus.c':
        'void g(struct gz_db *db, const char *q) {\n'
        '    gz_db_stmt(db, q);\n'                              # sql-literal
        '    gz_db_stmt(db, GZ_SQL("SELECT " q));\n'            # sql-literal
        '    char *s = sqlite3_mprintf("%q", q);\n'             # format
        '    gz_log_info(7001, "dup");\n'                       # log-ids
        '    gz_log_info(id, "var");\n'                         # log-ids
        '}\n',
    'src/http/ok.c':
        '#include <microhttpd.h>\n'
        'void h(void) { MHD_destroy_response(0); }\n'
        'void gz_log_info(int id, const char *fmt, ...);\n',
    'src/site/bad.c':
        '#include <sqlite3.h>\n'                                # sqlite
        '#include "microhttpd.h"\n'                             # mhd
        'int k(const char *s) {\n'
        '    char b[8]; sprintf(b, "%d", atoi(s));\n'           # banned x2
        '    strcpy(b, s); strcat(b, s);\n'                     # banned x2
        '    sqlite3_exec(0, 0, 0, 0, 0);\n'                    # sqlite
        '    MHD_queue_response(0, 0, 0);\n'                    # mhd
        '    return rand(); // why\n'                           # random, //
        '}\n'
        'int snprintf_ok(void) { char b[4]; return snprintf(b, 4, "x"); }\n'
        'int fgets_ok(void) { return fgets(0, 0, 0) != 0; }\n',
    'include/gazette/x.h':
        '/* Only src/store includes sqlite3.h; MHD_ stays in src/http. */\n'
        'int x; // trailing\n',                                 # //
    'templates/ok.mustache':
        '<a class="{{c}}" href="{{u}}"{{#t}} title=\'{{t}}\'{{/t}}>'
        '{{{body_html}}}{{& x.y_html}}</a>\n'
        '<script src="{{js_url}}" defer></script>\n'
        '<script type="application/ld+json">{{{jsonld_html}}}</script>\n'
        '<p>a = {{b}} and one=two in text</p><input required>\n',
    'templates/bad.mustache':
        '{{{title}}} {{& name}}\n'                             # raw x2
        '<a href={{url}} class=card>\n'                         # quotes x2
        '<img src="x" onerror="alert(1)" style="color:red">\n'  # on, style
        '<script>alert(1)</script>\n'                           # script
        '<a href="javascript:alert(1)">x</a>\n',                # js url
}

FIXTURE['meson.build'] = "input : files('sql/0001_a.sql'),\n"
FIXTURE['sql/0001_a.sql'] = 'SELECT 1;\n'
FIXTURE['sql/0002_b.sql'] = 'SELECT 2;\n'

FIXTURE_WANT = {
    'sqlite-outside-store': 2,
    'mhd-outside-http': 2,
    'banned-functions': 4,
    'sql-format-strings': 1,
    'sql-literal': 2,
    'weak-random': 1,
    'line-comments': 2,
    'log-ids': 2,
    'raw-tags': 2,
    'quoted-attributes': 2,
    'inline-script': 1,
    'event-handlers': 1,
    'style-attributes': 1,
    'javascript-urls': 1,
    'migrations-listed': 1,
}


def self_test():
    """The checks on FIXTURE, the scanners on small inputs. Returns a list
    of failures."""
    import tempfile
    fails = []
    code, slashes = blank_c('a = "x // y /* z */"; /* c // d */ b; // e\n'
                            "c = '\"'; d = \"\\\"//\"; // f\n")
    if len(slashes) != 2:
        fails.append('blank_c found %d // comments, want 2' % len(slashes))
    if re.search(r'[xyzde]', code.replace('d = ', '')):
        fails.append('blank_c kept comment or string text: %r' % code)
    got = [(n, q) for n, q, v in attrs(' a="{{x}}" b=\x00 c=\'y\' d=e hidden')]
    if got != [('a', '"'), ('b', None), ('c', "'"), ('d', None)]:
        fails.append('attrs() parsed %r' % got)
    if split_args('f(a, g(b, c), "d")', 1) != ['a', ' g(b, c)', ' "d"']:
        fails.append('split_args broken')
    with tempfile.TemporaryDirectory() as d:
        for rel, text in FIXTURE.items():
            os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(d, rel), 'w', encoding='utf-8') as f:
                f.write(text)
        tree = Tree(d)
        for name, fn in CHECKS:
            bad = fn(tree)
            if len(bad) != FIXTURE_WANT[name] or \
                    any(os.path.basename(b.split(':')[0]).startswith('ok.')
                        for b in bad):
                fails.append('%s on the fixture: %d findings, want %d: %s'
                             % (name, len(bad), FIXTURE_WANT[name], bad))
    return fails


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tree = Tree(root)
    passed = failed = 0
    fails = self_test()
    if fails:
        print('FAIL self-test (%d)' % len(fails))
        for f in fails:
            print('  ' + f)
        failed += 1
    else:
        print('ok   self-test')
        passed += 1
    for name, fn in CHECKS:
        bad = fn(tree)
        if bad:
            failed += 1
            print('FAIL %s (%d)' % (name, len(bad)))
            for b in bad:
                print('  ' + b)
        else:
            passed += 1
            print('ok   %s' % name)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
