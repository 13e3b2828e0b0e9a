#!/usr/bin/env python3
"""Baseline timings for jrnl 4.6 (the Python journal CLI), for comparison with haven.

What it measures
----------------
For each journal size N (``--sizes``, default 1000,10000,100000) the script:

1. Writes a plain-text jrnl journal of N entries straight to disk (it does not
   call jrnl N times). Entries come from ``--entries-jsonl FILE`` (the first N
   lines, each ``{"date":"YYYY-MM-DD","time":"HH:MM","text":"...","starred":false}``)
   or, without that option, from a seeded generator: 100-200 characters of
   sentences, two ``#tags`` each, one entry a minute going back in time from
   2024-01-01 12:00, every 20th entry starred. The journal of size N is the
   first N generated entries, so the entries are the same at every size.
2. Writes a jrnl YAML config that points at that journal. It sets no
   encryption, no editor, colours "none" and no template, and it contains
   every key that jrnl 4.6 expects plus ``version: "4.6"``. Without those,
   jrnl would rewrite the config and print a notice.
3. Runs jrnl with HOME, XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME all
   under ``--workdir``, so the user's home is never read or written. It also
   passes ``--config-file``, redirects stdin from /dev/null and sets
   NO_COLOR=1 and TERM=dumb.
4. Times each command with ``time.perf_counter()`` around the child process.
   That is the wall time of the whole process, including interpreter start-up:
     * list: ``jrnl --config-file CFG -n 10`` run R times. stdout goes to a
       pipe that is read and thrown away. These runs come before the adds, so
       the journal has exactly N entries.
     * add: ``jrnl --config-file CFG "<one sentence entry with a #tag>"`` run
       R times. The journal grows by one entry per repetition (N .. N+R-1),
       and nothing is reset between runs.
   One untimed ``-n 10`` warm-up comes first (``--warmup``, default 1).
   The table shows the median of the R runs in milliseconds.

   Warning: add is quadratic in the number of tags in jrnl 4.6. After it
   parses the journal, ``controller.append_mode`` evaluates ``journal.tags``
   to look for similar tags. ``Journal.tags`` (jrnl/journals/Journal.py)
   builds ``{(tags.count(tag), tag) for tag in tags}``, which is O(T^2) over
   all T tags in the journal. With two tags per entry, one add took about 4.2 s
   at N=10,000 (cProfile: 3.75 s of 4.19 s in ``list.count``) on a 2-core
   machine, so at N=100,000 one add should take roughly 7 minutes.
   ``--max-add-size N`` skips the add timing for larger sizes, and the
   table then shows "skipped".
5. Peak RSS: each child is reaped with ``os.wait4()``, which returns the
   ``struct rusage`` of that one process. Its ``ru_maxrss`` (KiB on Linux) is
   the same kernel counter that ``/usr/bin/time -f %M`` prints.
   ``getrusage(RUSAGE_CHILDREN)`` is not used. Its ru_maxrss is the maximum
   over all children reaped so far, not a sum, so a "delta" only shows up
   when a new child beats every earlier one. The RSS column is the largest
   peak of any add or list run for that size, in MiB.

Output: a Markdown table on stdout
``size | jrnl add (ms, median) | jrnl list -n 10 (ms, median) | jrnl peak RSS (MiB)``
and, with ``--json OUT``, ``{"1000": {"add_ms":..,"list10_ms":..,"rss_mib":..}, ...}``.
``--verify`` also checks, untimed, that jrnl counts exactly N entries. The
count comes from ``--export json``, or from ``--short`` above 20,000 entries,
because the JSON exporter's tag count is quadratic too. It then checks that
``-n 1 --export json`` returns the newest entry as written (date, title,
star) and that ``-n 3`` shows it.

Installing jrnl
---------------
    python3 -m venv /tmp/jrnlbench/venv
    /tmp/jrnlbench/venv/bin/pip install jrnl==4.6   # the only 4.6.x on PyPI
    python3 .bench/jrnl_baseline.py --jrnl /tmp/jrnlbench/venv/bin/jrnl \
        --workdir /tmp/jrnlbench/work --sizes 1000,10000 --reps 3

Plain-text journal format (read from the jrnl 4.6 source)
-------------------------------------------------------
* ``jrnl/journals/Entry.py`` ``Entry.__str__``: an entry is
  ``[<date in timeformat>] <title>``, then `` *`` if starred, then ``\\n<body>``
  if the body is not empty, then ``\\n``. The title is the first line of the
  text, or its first sentence if the text is one line (``split_title``).
* ``jrnl/journals/Journal.py`` ``Journal._to_text``: entries are joined with
  ``"\\n"``, which leaves one blank line between entries.
* ``Journal._parse``: a new entry starts wherever the regex
  ``(?:^|\\n)\\[([^\\]]+)\\] `` matches and the bracketed part parses with the
  config ``timeformat`` (here ``%Y-%m-%d %H:%M``). ``Entry._parse_text``
  marks the entry starred when its first line ends in ``*``. After parsing,
  entries are sorted by date.

Only the standard library is used (besides jrnl, which runs as a subprocess).
"""

import argparse
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TIMEFORMAT = "%Y-%m-%d %H:%M"
JRNL_VERSION_FOR_CONFIG = "4.6"  # must equal jrnl.__version__ or jrnl rewrites the config
BASE_TIME = datetime.datetime(2024, 1, 1, 12, 0)

SENTENCES = [
    "Walked to the market and bought fresh bread",
    "The meeting ran long but we settled the release plan",
    "Spent the afternoon reading about distributed systems",
    "Fixed a subtle off-by-one bug in the parser",
    "Rain all day, so I stayed in and cooked soup",
    "Called my sister and we talked for an hour",
    "Went for a long run along the river",
    "Started a new notebook for project ideas",
    "The train was late again this morning",
    "Finished the book I had been reading for weeks",
    "Cleaned the garage and found my old guitar",
    "Had coffee with an old friend from university",
    "Wrote three pages of notes on the design review",
    "The garden finally has tomatoes",
    "Tried a new recipe with lentils and it worked",
    "Slept badly and felt slow all day",
    "Paired with a colleague on the flaky test",
    "Planned the budget for next month",
    "Watched the sunset from the hill behind the house",
    "Repaired the bike brakes myself",
    "Read the paper on log-structured storage again",
    "Booked tickets for the trip in spring",
    "Our team shipped the new onboarding flow",
    "Learned a few words of Portuguese",
]
TAGS = [
    "#work", "#health", "#family", "#reading", "#cooking", "#travel",
    "#ideas", "#garden", "#music", "#finance", "#running", "#friends",
    "#rust", "#learning", "#home", "#weather",
]
ENDINGS = [".", ".", ".", "!", "."]


# --------------------------------------------------------------------------
# Entry generation / loading
# --------------------------------------------------------------------------

def generate_entries(n, seed=42):
    """Deterministic entries, newest first: entry i is at BASE_TIME - i minutes.

    Returns a list of dicts {"dt": datetime, "title": str, "body": str, "starred": bool}.
    Each text is one line; the title is its first sentence, as jrnl's split_title does.
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        # aim for 100-200 characters in total, including the two tags (~17 chars)
        target = rng.randint(100, 200) - 17
        tags = rng.sample(TAGS, 2)
        sentences = []
        length = -1
        while True:
            s = rng.choice(SENTENCES) + rng.choice(ENDINGS)
            if len(sentences) >= 2 and length >= 83 and length + 1 + len(s) > target:
                break
            sentences.append(s)
            length += len(s) + 1
        # put the two tags inside the body (not the title) so the title is stable
        tag_pos = rng.randrange(1, len(sentences))
        sentences[tag_pos] = sentences[tag_pos] + " " + tags[0]
        sentences[-1] = sentences[-1] + " " + tags[1]
        text = " ".join(sentences)
        title, body = split_title(text)
        out.append(
            {
                "dt": BASE_TIME - datetime.timedelta(minutes=i),
                "title": title,
                "body": body,
                "starred": (i % 20 == 7),
            }
        )
    return out


def load_entries_jsonl(path, n):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(out) >= n:
                break
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            dt = datetime.datetime.strptime(
                rec["date"] + " " + rec.get("time", "09:00"), "%Y-%m-%d %H:%M"
            )
            text = rec.get("text", "")
            starred = bool(rec.get("starred", False))
            # jrnl's Entry._parse_text: a first line ending in "*" also means starred
            lines = text.strip().splitlines()
            if lines and lines[0].strip().endswith("*"):
                starred = True
                text = lines[0].strip("\n *") + "\n" + "\n".join(lines[1:])
            title, body = split_title(text)
            out.append({"dt": dt, "title": title, "body": body, "starred": starred})
    if len(out) < n:
        raise SystemExit(f"{path}: only {len(out)} entries, size {n} requested")
    return out


# Copied from jrnl/journals/Entry.py (split_title / SENTENCE_SPLITTER), jrnl 4.6.
_SENTENCE_SPLITTER = re.compile(
    r"""
    (
    [.!?\u2026\u203C\u203D\u2047\u2048\u2049\u22EF\uFE52\uFE57]
    [\'\u2019\"\u201D]?
    [\]\)]*
    \s+
    )
    |[\uFF01\uFF0E\uFF1F\uFF61\u3002]
    """,
    re.VERBOSE,
)


def split_title(text):
    """Split off the first line (multi-line text) or first sentence, like jrnl."""
    sep = re.search("\n", text.lstrip())
    if not sep:
        sep = _SENTENCE_SPLITTER.search(text)
        if not sep:
            return text, ""
    return text[: sep.end()].strip(), text[sep.end():].strip()


def entry_to_text(e):
    """Exactly what jrnl's Entry.__str__ writes (so jrnl's own rewrite is a no-op)."""
    title = "[{}] {}".format(e["dt"].strftime(TIMEFORMAT), e["title"].rstrip("\n "))
    if e["starred"]:
        title += " *"
    body = e["body"].rstrip("\n ")
    return "{}{}{}\n".format(title, "\n" if body else "", body)


def write_journal(path, entries):
    """Write entries sorted by date (jrnl sorts on load), joined by "\\n" like
    Journal._to_text, i.e. one blank line between entries."""
    ordered = sorted(entries, key=lambda e: e["dt"])
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(entry_to_text(e) for e in ordered))


def write_config(path, journal_path):
    """A complete jrnl 4.6 config (all keys of jrnl.config.get_default_config)."""
    cfg = (
        "colors:\n"
        "  body: none\n"
        "  date: none\n"
        "  tags: none\n"
        "  title: none\n"
        "default_hour: 9\n"
        "default_minute: 0\n"
        "editor: ''\n"
        "encrypt: false\n"
        "highlight: true\n"
        "indent_character: '|'\n"
        "journals:\n"
        f"  default:\n"
        f"    journal: {json.dumps(journal_path)}\n"
        "linewrap: 79\n"
        "tagsymbols: '#@'\n"
        "template: false\n"
        "timeformat: '%Y-%m-%d %H:%M'\n"
        f"version: '{JRNL_VERSION_FOR_CONFIG}'\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(cfg)


# --------------------------------------------------------------------------
# Running jrnl
# --------------------------------------------------------------------------

def child_env(workdir):
    home = os.path.join(workdir, "home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VISUAL", "EDITOR", "JRNL_CONFIG", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS")
        and not k.startswith("PYTHON")
    }
    env.update(
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_DATA_HOME=os.path.join(home, ".local", "share"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        NO_COLOR="1",
        TERM="dumb",
        LC_ALL=env.get("LC_ALL", "C.UTF-8"),
        PYTHONIOENCODING="utf-8",
    )
    for d in (env["XDG_CONFIG_HOME"], env["XDG_DATA_HOME"], env["XDG_CACHE_HOME"]):
        os.makedirs(d, exist_ok=True)
    return env


def run_jrnl(argv, env):
    """Run one jrnl process; return (elapsed_ms, maxrss_kib, stdout_bytes, stderr_str).

    stdout goes to a pipe (read to EOF, then returned); stderr goes to a temp
    file so neither pipe can block. The child is reaped with os.wait4, which
    returns this child's own rusage.
    """
    with tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf, env=env
        )
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        p.stdout.close()
        p.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
    if p.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {p.returncode}\nstderr:\n{err}\nstdout:\n"
            f"{out.decode('utf-8', 'replace')[:2000]}"
        )
    return (t1 - t0) * 1000.0, ru.ru_maxrss, out, err


def bench_size(n, args, env):
    d = os.path.join(args.workdir, f"size_{n}")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    journal = os.path.join(d, "journal.txt")
    config = os.path.join(d, "jrnl.yaml")

    t0 = time.perf_counter()
    if args.entries_jsonl:
        entries = load_entries_jsonl(args.entries_jsonl, n)
    else:
        entries = generate_entries(n, seed=args.seed)
    write_journal(journal, entries)
    write_config(config, journal)
    gen_s = time.perf_counter() - t0
    size_mib = os.path.getsize(journal) / 2**20
    log(f"[size {n}] wrote {journal} ({size_mib:.1f} MiB) in {gen_s:.2f}s")

    base = [args.jrnl, "--config-file", config]
    newest = max(entries, key=lambda e: e["dt"])
    del entries

    if args.verify:
        verify(n, base, env, journal, newest)

    for _ in range(args.warmup):
        run_jrnl(base + ["-n", "10"], env)

    list_ms, add_ms, rss = [], [], []
    for r in range(args.reps):
        ms, kib, out, err = run_jrnl(base + ["-n", "10"], env)
        if not out.strip():
            raise RuntimeError(f"jrnl -n 10 printed nothing (stderr: {err})")
        list_ms.append(ms)
        rss.append(kib)
        log(f"[size {n}] list -n 10 rep {r + 1}: {ms:.1f} ms, {kib / 1024:.1f} MiB")

    do_add = args.max_add_size is None or n <= args.max_add_size
    before = os.path.getsize(journal)
    for r in range(args.reps if do_add else 0):
        text = (
            f"Benchmark entry number {r + 1} written by the baseline script. "
            f"It has a body sentence and a #bench tag"
        )
        ms, kib, out, err = run_jrnl(base + [text], env)
        add_ms.append(ms)
        rss.append(kib)
        log(f"[size {n}] add rep {r + 1}: {ms:.1f} ms, {kib / 1024:.1f} MiB")
    after = os.path.getsize(journal)
    if do_add and args.reps and after <= before:
        raise RuntimeError("journal did not grow after the add runs")

    return {
        "add_ms": round(statistics.median(add_ms), 1) if add_ms else None,
        "list10_ms": round(statistics.median(list_ms), 1) if list_ms else None,
        "rss_mib": round(max(rss) / 1024.0, 1) if rss else None,
    }


VERIFY_JSON_MAX = 20000


def verify(n, base, env, journal, newest):
    """Untimed checks that jrnl reads the file as written.

    The count comes from ``--export json``. Above VERIFY_JSON_MAX entries it
    comes from ``--short`` (one title line per entry) instead, because the JSON
    exporter's tag count (jrnl/plugins/util.py get_tags_count) is O(T^2): it
    took about 10 minutes at N=100,000.
    """
    if n <= VERIFY_JSON_MAX:
        how = "--export json"
        _, _, out, _ = run_jrnl(base + ["--export", "json"], env)
        count = len(json.loads(out)["entries"])
    else:
        how = "--short"
        _, _, out, _ = run_jrnl(base + ["--short"], env)
        count = len(out.decode("utf-8", "replace").splitlines())
    if count != n:
        raise RuntimeError(f"jrnl {how} saw {count} entries, expected {n}")
    _, _, out, _ = run_jrnl(base + ["-n", "1", "--export", "json"], env)
    last = json.loads(out)["entries"][-1]
    want_dt = newest["dt"].strftime("%Y-%m-%d %H:%M")
    got_dt = f"{last['date']} {last['time']}"
    if got_dt != want_dt or last["title"] != newest["title"] or last["starred"] != newest["starred"]:
        raise RuntimeError(f"newest entry mismatch: jrnl has {last}, wrote {newest}")
    _, _, out3, _ = run_jrnl(base + ["-n", "3"], env)
    txt = out3.decode("utf-8", "replace")
    if want_dt not in txt:
        raise RuntimeError(f"jrnl -n 3 did not show {want_dt}:\n{txt}")
    log(f"[size {n}] verify: {how} has {count} entries; newest {got_dt} "
        f"'{last['title'][:40]}' matches; -n 3 output:\n" + txt.rstrip())


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="comma-separated journal sizes (entries)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions per command")
    ap.add_argument("--warmup", type=int, default=1, help="untimed -n 10 runs first")
    ap.add_argument("--workdir", default=None,
                    help="scratch dir for journals/configs/fake HOME (default: a new temp dir)")
    ap.add_argument("--jrnl", default=shutil.which("jrnl"),
                    help="path to the jrnl executable (default: jrnl on PATH)")
    ap.add_argument("--entries-jsonl", default=None,
                    help='JSON lines {"date","time","text","starred"}; first N used for size N')
    ap.add_argument("--seed", type=int, default=42, help="seed for generated entries")
    ap.add_argument("--max-add-size", type=int, default=None,
                    help="skip the (quadratic) add timing for sizes above this")
    ap.add_argument("--json", dest="json_out", default=None, help="also write results as JSON")
    ap.add_argument("--verify", action="store_true",
                    help="untimed check: --export json count == N, -n 3 shows newest entry")
    args = ap.parse_args()

    if not args.jrnl or not os.path.exists(args.jrnl):
        ap.error("jrnl executable not found; pass --jrnl PATH (pip install jrnl==4.6)")
    args.jrnl = os.path.abspath(args.jrnl)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.workdir is None:
        args.workdir = tempfile.mkdtemp(prefix="jrnlbench-")
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    env = child_env(args.workdir)

    ver = subprocess.run([args.jrnl, "--version"], env=env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True).stdout.splitlines()
    log(f"jrnl: {args.jrnl} ({ver[0] if ver else '?'}), workdir {args.workdir}, "
        f"reps {args.reps}, peak RSS via os.wait4 ru_maxrss")

    results = {}
    for n in sizes:
        results[str(n)] = bench_size(n, args, env)

    print("| size | jrnl add (ms, median) | jrnl list -n 10 (ms, median) | jrnl peak RSS (MiB) |")
    print("| ---: | ---: | ---: | ---: |")
    for n in sizes:
        r = results[str(n)]
        cells = [r["add_ms"], r["list10_ms"], r["rss_mib"]]
        print(f"| {n} | " + " | ".join(
            "skipped" if c is None else f"{c:.1f}" for c in cells) + " |")

    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
