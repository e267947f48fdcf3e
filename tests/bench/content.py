"""Generated content for the load benchmark (tests/bench/run.py).

N stories as `gazette import` documents, written straight to disk in chunks
(one complete import document per chunk) so that memory does not grow with
N. Deterministic: stories are made in blocks of BLOCK, each block from its
own seeded generator, so story i is the same whatever N and whatever the
chunk size (the first 100,000 stories of a 1,000,000-story set are the
100,000-story set).

The text is drawn from a ranked word list with Zipf-like weights (common
words are in most stories, the tail in few), plus two to four place names
per story from a pool of NAMES made of syllables (each name is in about
3N/50,000 stories: the rare words). While writing, it counts in how many
stories each word appears (document frequency), keeps the slugs in order
(one per line), and samples phrases (adjacent words of real sentences), so
that run.py can build search queries of known selectivity.
"""
import datetime as dt
import json
import os
import random
import re
import sys
import time
from collections import Counter

FORMAT = 2          # bump when the generated content changes
SEED = 20240601
BLOCK = 5000        # stories per seeded block (and per worker job)
SEARCH_WORD = "harbour"   # placed in the word list so it is in ~half the stories

FUNCTION_WORDS = """
the of and to in a that for is on was with as at by it from be has
have are this said will its an but their they which not after were or
more than been one who new would about up when out into also two over
had can last first there could all them we our some year only other
""".split()

CONTENT_WORDS = """
city council people years week time work plan local new public school
residents money project river street team season service community water
centre market first home group building government report people million
support families government station staff minister board local police
business children area change future data plans region council energy
summer health evening morning museum students club weekend university
road bridge housing festival library history harbour hospital ferry tram
transport workers market engineers scientists volunteers mayor funding
research survey figures company jobs trade shop shops factory port estuary
coast island beach tide boats fishing crew sailors dock quay warehouse
garden park trees birds otters wildlife meadow forest hills valley farm
farmers harvest bakery bread coffee restaurant kitchen chef menu food
music orchestra concert choir theatre stage audience gallery artists
painting exhibition books writers poetry reading film cinema dance
football match league cup goal players coach stadium race runners
marathon cycling rowing regatta swimming athletes medal final victory
technology software network sensors computer phone app internet robots
battery solar wind turbine grid electric heat pump insulation carbon
climate weather rain storm flood snow temperature sunshine forecast
election vote budget tax policy law court judge lawyer campaign protest
debate committee inquiry review decision proposal consultation officials
teachers pupils classroom exam lessons college graduates science physics
chemistry biology astronomy telescope comet planet stars moon night sky
doctor nurses patients clinic vaccine medicine care elderly volunteers
neighbours street corner square avenue district suburb village town
tourists visitors hotel rooms guests festival fireworks parade crowd
price prices rent wages costs savings bank loan investment profit growth
industry manufacturing exports shipping containers cranes cargo vessels
railway trains platform timetable passengers buses routes drivers cyclists
repairs construction architects design plans scheme permission demolition
heritage mill chimney looms weaving textile cloth museum archive records
photographs memories generations founder anniversary celebration ceremony
award prize winner judges shortlist competition entries category honour
challenge problem solution answer question idea experiment trial results
evidence study analysis measurements samples laboratory discovery
announcement statement interview spokesperson director chairman manager
owner tenant landlord developer charity foundation trust partnership
network scheme initiative programme pilot launch opening closure delay
shortage surplus increase decrease rise fall record peak average total
morning afternoon evening midnight dawn dusk spring autumn winter summer
monday tuesday wednesday thursday friday saturday sunday january march
ancient modern historic traditional innovative affordable sustainable
quiet busy crowded empty bright dark cold warm wet dry windy calm
small large huge tiny narrow wide long short early late recent former
popular famous local regional national international independent
careful quick slow steady sudden gradual remarkable unusual familiar
open closed free expensive cheap safe dangerous healthy green clean
restored rebuilt repaired planned approved rejected delayed finished
announced confirmed expected promised reported described explained
welcomed criticised praised questioned supported opposed funded launched
built opened closed moved grew fell rose began ended joined left
walked sailed drove cycled ran swam climbed crossed reached returned
measured counted tested recorded published shared collected delivered
painted wrote played sang performed danced filmed photographed cooked
baked grew planted harvested caught fished rowed raced trained coached
lighthouse pier marina seawall breakwater lock canal towpath embankment
allotment orchard vineyard greenhouse nursery hedgerow wetland marsh reed
kingfisher heron gull cormorant seal salmon trout eel oyster mussel crab
lantern candle lamp window door roof wall floor stair tower spire dome
ferryman harbourmaster shipwright blacksmith carpenter weaver potter baker
""".split()

_seen = set()
VOCAB = [w for w in FUNCTION_WORDS + CONTENT_WORDS
         if not (w in _seen or _seen.add(w))]
VOCAB.remove(SEARCH_WORD)
VOCAB.insert(len(FUNCTION_WORDS) + 55, SEARCH_WORD)
FUNCTION_SET = set(FUNCTION_WORDS)
CONTENT_ONLY = [w for w in VOCAB if w not in FUNCTION_SET]

# Place names: NAME_A x NAME_B x NAME_C = 50,000 rare words.
NAME_A = """bran kes thorn wil ash mar hol dun pen tre cal bel cor fen gar hart
lang mor nor ock pol quen ros sal tav ul ver wex yar zel brig cran drum elm
fal glen hal ird jor kil""".split()
NAME_B = "a e i o u ar en il on ur ab ed im ol us an es ir or ut al ev iv ow um".split()
NAME_C = """ford wick ton by stead mere thorpe holm worth bury combe dale field
gate ham hurst ley minster mouth ness port shaw stow wold wood brook cliffe
croft den don ey fold garth haven hithe ing kirk lade low more pool ridge
sett side stock thwaite wardine well wyke yard""".split()
NAMES = len(NAME_A) * len(NAME_B) * len(NAME_C)


def place_name(k):
    a, rest = divmod(k % NAMES, len(NAME_B) * len(NAME_C))
    b, c = divmod(rest, len(NAME_C))
    return (NAME_A[a] + NAME_B[b] + NAME_C[c]).capitalize()


FIRST_NAMES = """Maren Tobias Priya Ravi Elin Jonas Amara Felix Ines Kofi Lena
Mateo Saoirse Yusuf Hana Oskar Nadia Rui Ingrid Tariq Beatrix Caspian Dara
Esme Gideon Ilse""".split()
LAST_NAMES = """Okafor Lindqvist Halloran Thorsen Gascoigne Brandt Mensah Novak
Duarte Kowalski Achterberg Moreau Nakamura Fitzgerald Haddad Ostrowski
Vance Quigley Rasmussen Iyer""".split()

TAGS = ["City", "Science", "Business", "Culture", "Sport", "Technology",
        "Politics", "Health", "Education", "Environment", "Transport",
        "Housing", "Food", "Travel", "Music", "Books", "Weather", "Opinion",
        "Community", "History"]

TOKEN_RE = re.compile(r"[a-z0-9]+")
WORD_RE = re.compile(r"[A-Za-z]+")


def slugify(text):
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


class TextGen:
    """Deterministic words, sentences, paragraphs and Markdown bodies."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        total = 0.0
        self.cum = []
        for r in range(len(VOCAB)):
            total += 1.0 / (r + 1)
            self.cum.append(total)
        self.pending = []   # place names still to be worked into the text

    def words(self, n):
        return self.rng.choices(VOCAB, cum_weights=self.cum, k=n)

    def sentence(self, lo=8, hi=22):
        rng = self.rng
        w = self.words(rng.randint(lo, hi))
        if self.pending and rng.random() < 0.2:
            w.insert(rng.randint(1, len(w) - 1), self.pending.pop())
        if rng.random() < 0.25:      # a comma somewhere in the middle
            i = rng.randint(2, len(w) - 2)
            w[i] += ","
        return w[0].capitalize() + " " + " ".join(w[1:]) + "."

    def paragraph(self, lo=3, hi=6):
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def heading(self):
        w = self.rng.sample(CONTENT_ONLY, self.rng.randint(2, 5))
        return w[0].capitalize() + " " + " ".join(w[1:])

    def list_block(self):
        items = []
        for _ in range(self.rng.randint(3, 5)):
            w = self.words(self.rng.randint(5, 14))
            if self.rng.random() < 0.4:
                w[0] = "**" + w[0]
                w[1] = w[1] + "**"
            items.append("- " + w[0].capitalize() + " " + " ".join(w[1:]) + ".")
        return "\n".join(items)

    def markdown(self, target_words, names=()):
        rng = self.rng
        self.pending = [n for n in names for _ in range(rng.randint(1, 2))]
        rng.shuffle(self.pending)
        blocks = [self.paragraph(), self.paragraph()]
        words = sum(len(b.split()) for b in blocks)
        while words < target_words:
            section = ["## " + self.heading(), self.paragraph()]
            r = rng.random()
            if r < 0.5:
                section.append(self.list_block())
            elif r < 0.65:
                section.append("> " + self.sentence(12, 26))
            section.append(self.paragraph())
            blocks += section
            words += sum(len(b.split()) for b in section)
        if self.pending:
            blocks.append("Reported from " + " and ".join(self.pending) + ".")
            self.pending = []
        return "\n\n".join(blocks) + "\n"


def site_header():
    """Settings, authors and tags: the same in every chunk (import matches
    users by email and tags by slug, so repeating them is harmless)."""
    g = TextGen(f"{SEED}:site")
    authors = []
    for i in range(6):
        name = f"{FIRST_NAMES[i * 3 % len(FIRST_NAMES)]} {LAST_NAMES[i * 7 % len(LAST_NAMES)]}"
        slug = slugify(name)
        authors.append({
            "name": name, "slug": slug, "email": f"{slug}@example.org",
            "role": "editor" if i == 0 else "author",
            "bio": g.paragraph(2, 3),
        })
    tags = [{"name": t, "slug": slugify(t), "description": g.sentence(8, 16)}
            for t in TAGS]
    settings = {"title": "The Benchmark Gazette",
                "description": "Generated stories for the load benchmark."}
    return settings, authors, tags


def make_story(i, g, authors, tags, images):
    """Story number i (0-based) from the block's generator g."""
    rng = g.rng
    start = dt.datetime(2016, 1, 4, 7, 0, tzinfo=dt.timezone.utc)
    title_words = g.words(rng.randint(5, 10))
    for k in range(len(title_words)):
        if title_words[k] in FUNCTION_SET and rng.random() < 0.6:
            title_words[k] = rng.choice(CONTENT_ONLY)
    names = [place_name(rng.randrange(NAMES)) for _ in range(rng.randint(2, 4))]
    if rng.random() < 0.1:            # a place in the headline now and then
        title_words.insert(rng.randint(1, len(title_words)), names[0])
    title = title_words[0].capitalize() + " " + " ".join(title_words[1:])
    slug = f"{slugify(' '.join(title_words[:6]))}-{i + 1}"
    md = g.markdown(rng.randint(460, 600), names)
    excerpt = g.sentence(18, 30)
    # Minutes, not hours, apart: 1,000,000 stories still end in the past.
    published = start + dt.timedelta(minutes=5 * i, seconds=rng.randint(0, 280))
    a = {
        "slug": slug, "title": title, "excerpt": excerpt, "markdown": md,
        "author": authors[rng.randrange(len(authors))]["slug"],
        "tags": [t["slug"] for t in rng.sample(tags, rng.randint(1, 3))],
        "status": "published",
        "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "comments_open": rng.random() < 0.9,
        "comments": [],
    }
    if images and rng.random() < 0.7:
        img = images[rng.randrange(len(images))]
        a["feature_image"] = {
            "url": "/static/demo/" + img, "alt": g.sentence(6, 12),
            "caption": g.sentence(5, 10), "width": 1200, "height": 675,
        }
    if rng.random() < 0.35:
        for c in range(rng.randint(1, 6)):
            who = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            at = published + dt.timedelta(minutes=37 * (c + 1) + rng.randint(0, 30))
            comment = {
                "name": who, "email": f"{slugify(who)}@example.net",
                "body": g.paragraph(1, 3),
                "status": "approved" if rng.random() < 0.9 else "pending",
                "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if rng.random() < 0.2:
                comment["replies"] = [{
                    "name": authors[0]["name"], "body": g.sentence(8, 20),
                    "status": "approved",
                    "created_at": (at + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }]
            a["comments"].append(comment)
    return a


class Progress:
    """One progress line: rewritten in place on a terminal, a line every
    10 s otherwise (logs)."""

    def __init__(self, what, total, unit="stories"):
        self.what, self.total, self.unit = what, total, unit
        self.tty = sys.stdout.isatty()
        self.t0 = time.monotonic()
        self.last = 0.0
        self.width = 0
        self.printed = None

    def update(self, done, extra="", force=False):
        now = time.monotonic()
        if not force and now - self.last < (0.5 if self.tty else 10.0):
            return
        self.last = now
        el = now - self.t0
        rate = done / el if el > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else 0.0
        self.printed = done
        line = (f"  {self.what}: {done:,} / {self.total:,} {self.unit} "
                f"({rate:,.0f}/s, {el:.0f} s"
                + (f", ~{left:.0f} s left" if 0 < done < self.total else "")
                + ")" + (f" {extra}" if extra else ""))
        if self.tty:
            self.width = max(self.width, len(line))
            print("\r" + line.ljust(self.width), end="", flush=True)
        else:
            print(line, flush=True)

    def finish(self, done, extra=""):
        if self.tty or self.printed != done:
            self.update(done, extra, force=True)
        if self.tty:
            print(flush=True)


def _block(job):
    """One block of stories, in a worker process: writes the stories as a
    JSON fragment (objects joined by ",\n") to part-BBBBB.json and returns
    what the parent needs to merge."""
    b, n, out_dir, images = job
    settings, authors, tags = site_header()
    g = TextGen(f"{SEED}:{b}")
    phrase_rng = random.Random(f"{SEED}:phrases:{b}")
    first, last = b * BLOCK, min(n, (b + 1) * BLOCK)
    df = Counter()
    slugs, phrases, open_flags = [], [], []
    n_comments = total_words = with_word = nbytes = 0
    word_re = re.compile(r"\b%s\b" % SEARCH_WORD)
    path = os.path.join(out_dir, f"part-{b:05d}.json")
    with open(path, "w") as f:
        for i in range(first, last):
            a = make_story(i, g, authors, tags, images)
            s = json.dumps(a, ensure_ascii=False, separators=(",", ":"))
            f.write(s if i == first else ",\n" + s)
            nbytes += len(s.encode()) + 2
            slugs.append(a["slug"])
            if i >= n - 200:
                open_flags.append((a["slug"], a["comments_open"]))
            text = (a["title"] + " " + a["excerpt"] + " " + a["markdown"]).lower()
            df.update(set(TOKEN_RE.findall(text)))
            if word_re.search(text):
                with_word += 1
            for c in a["comments"]:
                n_comments += 1 + len(c.get("replies", []))
            total_words += len(a["markdown"].split())
            # Phrase samples: adjacent words of a sentence, one story in 20,
            # with at least one content word.
            if i % 20 == 7:
                paras = [p for p in a["markdown"].split("\n\n")
                         if p and p[0] not in "#->R"]
                if paras:
                    words = WORD_RE.findall(phrase_rng.choice(paras))
                    k = phrase_rng.choice((2, 2, 3))
                    if len(words) > k:
                        j = phrase_rng.randrange(len(words) - k)
                        ph = " ".join(w.lower() for w in words[j:j + k])
                        if any(w not in FUNCTION_SET for w in ph.split()):
                            phrases.append(ph)
    return {"block": b, "path": path, "slugs": slugs, "df": df,
            "phrases": phrases, "open_flags": open_flags,
            "comments": n_comments, "words": total_words,
            "with_word": with_word, "bytes": nbytes}


def _worker_init():
    # The parent's SIGTERM handler (clean up and exit) must not run in the
    # workers: a worker told to stop while waiting for work would hang.
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def generate(n, out_dir, chunk_size, images, jobs=1):
    """Writes chunk-NNN.json import documents (chunk_size stories each, a
    multiple of BLOCK) and slugs.txt into out_dir, with `jobs` worker
    processes. Returns (chunk paths, meta): meta holds the statistics and
    the query material (document frequencies of vocabulary words and place
    names, phrase samples)."""
    import multiprocessing
    assert chunk_size % BLOCK == 0
    settings, authors, tags = site_header()
    head_common = ('"authors":' + json.dumps(authors, ensure_ascii=False)
                   + ',"tags":' + json.dumps(tags, ensure_ascii=False))
    blocks = (n + BLOCK - 1) // BLOCK
    per_chunk = chunk_size // BLOCK
    chunks = []
    df = Counter()
    phrases, open_flags = [], []
    n_comments = total_words = with_word = total_bytes = done = 0
    prog = Progress("generating", n)
    prog.update(0, force=True)
    jobs_list = [(b, n, out_dir, images) for b in range(blocks)]
    f = None
    pool = multiprocessing.Pool(max(1, jobs), initializer=_worker_init)
    with open(os.path.join(out_dir, "slugs.txt"), "w") as slugs_f:
        try:
            for r in pool.imap(_block, jobs_list):
                b = r["block"]
                if b % per_chunk == 0:
                    path = os.path.join(out_dir, f"chunk-{len(chunks):03d}.json")
                    chunks.append(path)
                    f = open(path, "w")
                    f.write("{")
                    if b == 0:
                        f.write('"settings":' + json.dumps(settings) + ",")
                    f.write(head_common + ',"articles":[\n')
                else:
                    f.write(",\n")
                with open(r["path"]) as part:
                    while True:
                        buf = part.read(1 << 20)
                        if not buf:
                            break
                        f.write(buf)
                os.unlink(r["path"])
                if b % per_chunk == per_chunk - 1 or b == blocks - 1:
                    f.write("]}\n")
                    f.close()
                    f = None
                slugs_f.write("".join(s + "\n" for s in r["slugs"]))
                df.update(r["df"])
                phrases += r["phrases"]
                open_flags += r["open_flags"]
                n_comments += r["comments"]
                total_words += r["words"]
                with_word += r["with_word"]
                total_bytes += r["bytes"]
                done += len(r["slugs"])
                prog.update(done, f"{total_bytes / 1e6:,.0f} MB")
            pool.close()
        finally:
            if f:
                f.close()
            pool.terminate()
            pool.join()
    prog.finish(n, f"{total_bytes / 1e6:,.0f} MB")
    if len(phrases) > 20000:
        phrases = random.Random(f"{SEED}:phrases").sample(phrases, 20000)
    vocab_df = {w: df.get(w, 0) for w in VOCAB}
    name_df = {w: c for w, c in df.items() if w not in vocab_df}
    meta = {
        "format": FORMAT, "seed": SEED, "stories": n, "authors": len(authors),
        "tags": [t["slug"] for t in tags], "comments": n_comments,
        "avg_words": round(total_words / n, 1) if n else 0,
        "json_bytes": total_bytes, "chunks": len(chunks), "chunk_size": chunk_size,
        "search_word": SEARCH_WORD, "search_word_stories": with_word,
        "last_open": open_flags[-200:], "vocab_df": vocab_df, "name_df": name_df,
        "phrases": phrases,
    }
    return chunks, meta
