#!/usr/bin/python3
"""The results of issue 11: sweeps of qtrain-train and docs/RESULTS.md.

A manifest (results/manifest.json, the one source of truth) names the
networks, seeds, epochs, recipes and the claims to check. Each
(network, recipe, seed) is one independent job: one qtrain-train run.

  results.py jobs                    one shell command per job
  results.py run [--jobs N] [--dry-run]
                                     run the jobs locally with xargs -P N,
                                     skipping finished runs, resuming
                                     interrupted ones from their checkpoint
  results.py slurm [-o FILE]         the same jobs as an sbatch job array
  results.py report [-o FILE]        read the CSVs, check the claims, draw
                                     the plots, write docs/RESULTS.md

Every subcommand takes --manifest FILE (default results/manifest.json),
--runs DIR (default results/runs) and --qtrain-arg ARG (repeatable: more
qtrain-train arguments after the manifest's "qtrain_args"). Commands are
written relative to the repository root and run from it. Only the Python
standard library is used. docs/Results-howto.md explains the workflow.
"""

import argparse
import csv
import datetime
import json
import math
import os
import platform
import re
import shlex
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETWORKS = ("mlp", "lenet", "resnet")
RULES = ("within", "better", "worse", "baseline")
CSV_HEADER = ["epoch", "steps", "learning_rate", "train_loss", "test_loss",
              "test_accuracy", "epoch_seconds", "steps_per_second"]


class ManifestError(Exception):
    pass


def die(message):
    print("results.py: error: " + message, file=sys.stderr)
    sys.exit(1)


def rel(path, start=None):
    """A path relative to `start` (default: the repository root) when it
    lies below it, else absolute: commands are run from the root."""
    path = os.path.abspath(path)
    start = os.path.abspath(start or ROOT)
    if start == ROOT and not (path == ROOT or path.startswith(ROOT + os.sep)):
        return path
    return os.path.relpath(path, start)


def q(word):
    return shlex.quote(word)


# ---------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------

TOP_KEYS = {"comment": str, "title": str, "networks": list, "seeds": list,
            "epochs": int, "qtrain_args": list, "recipes": list,
            "claims": list, "slurm": dict, "gradient_angles": dict}
CLAIM_KEYS = {"id": str, "technique": str, "claim": str, "published": str,
              "recipe": str, "baseline": str, "rule": str,
              "threshold": (int, float), "trace": bool, "tried": str}
SLURM_KEYS = {"job_name": str, "time": str, "cpus_per_task": int,
              "mem": str, "options": list}


def check_keys(obj, allowed, where, required=()):
    for key in obj:
        if key not in allowed:
            raise ManifestError("%s%s: unknown key; allowed: %s" % (
                where, key, ", ".join(allowed)))
    for key in required:
        if key not in obj:
            raise ManifestError("%s%s: required key missing" % (where, key))
    for key, value in obj.items():
        kinds = allowed[key] if isinstance(allowed[key], tuple) \
            else (allowed[key],)
        if isinstance(value, bool) and bool not in kinds or \
                not isinstance(value, kinds):
            raise ManifestError("%s%s: expected %s, got %s" % (
                where, key, " or ".join(TYPE_NAMES[k] for k in kinds),
                json.dumps(value)))


TYPE_NAMES = {str: "a string", int: "an integer", float: "a number",
              list: "an array", dict: "an object", bool: "true or false"}


def bundled_recipes():
    folder = os.path.join(ROOT, "recipes")
    return sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json"))


class Recipe:
    def __init__(self, spec, manifest_dir):
        self.spec = spec
        bundled = bundled_recipes()
        if spec in bundled:
            self.id = spec
            self.path = None  # compiled into qtrain-train
            self.source = os.path.join(ROOT, "recipes", spec + ".json")
        elif spec.endswith(".json") or "/" in spec:
            path = os.path.normpath(os.path.join(manifest_dir, spec))
            if not os.path.isfile(path):
                raise ManifestError(
                    "recipe file %s does not exist (paths are relative to "
                    "the manifest's folder)" % rel(path, os.getcwd()))
            self.id = os.path.splitext(os.path.basename(path))[0]
            self.path = path
            self.source = path
        else:
            raise ManifestError(
                "unknown recipe '%s': not a bundled recipe (%s) nor a "
                ".json file" % (spec, ", ".join(bundled)))

    def argument(self):
        return self.id if self.path is None else rel(self.path)

    def load(self):
        try:
            with open(self.source) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


class Manifest:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.dir = os.path.dirname(self.path)
        try:
            with open(self.path) as f:
                text = f.read()
        except OSError as e:
            die("manifest %s: %s" % (path, e.strerror))
        try:
            data = json.loads(text)
        except ValueError as e:
            line = getattr(e, "lineno", "?")
            col = getattr(e, "colno", "?")
            die("manifest %s:%s:%s: invalid JSON: %s" % (
                path, line, col, getattr(e, "msg", str(e))))
        try:
            self._parse(data)
        except ManifestError as e:
            die("manifest %s: %s" % (path, e))

    def _parse(self, data):
        if not isinstance(data, dict):
            raise ManifestError("expected a JSON object at the top level")
        check_keys(data, TOP_KEYS, "",
                   ("networks", "seeds", "epochs", "recipes", "claims"))
        self.title = data.get("title", "Results")
        self.comment = data.get("comment", "")
        self.epochs = data["epochs"]
        if self.epochs < 1:
            raise ManifestError("epochs: must be at least 1")

        self.networks = []  # (name, extra args)
        self.net_epochs = {}  # name -> epochs
        for i, net in enumerate(data["networks"]):
            where = "networks[%d]" % i
            if isinstance(net, str):
                net = {"name": net, "args": []}
            if not isinstance(net, dict):
                raise ManifestError(where + ": expected a name or an object")
            check_keys(net, {"name": str, "args": list, "epochs": int},
                       where + ".", ("name",))
            if net.get("epochs", 1) < 1:
                raise ManifestError(where + ".epochs: must be at least 1")
            if net["name"] not in NETWORKS:
                raise ManifestError("%s.name: '%s' is not a network of "
                                    "qtrain-train (%s)" % (
                                        where, net["name"], ", ".join(NETWORKS)))
            self.networks.append((net["name"], self._strings(
                net.get("args", []), where + ".args")))
            self.net_epochs[net["name"]] = net.get("epochs", self.epochs)
        names = [n for n, _ in self.networks]
        if not names or len(set(names)) != len(names):
            raise ManifestError("networks: expected distinct network names")

        self.seeds = data["seeds"]
        if not self.seeds or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0
                for s in self.seeds) or len(set(self.seeds)) != len(self.seeds):
            raise ManifestError("seeds: expected distinct integers >= 0")

        self.qtrain_args = self._strings(data.get("qtrain_args", []),
                                         "qtrain_args")
        for a in self.qtrain_args:
            if a.split("=")[0] in ("--recipe", "--seed", "--epochs", "--out",
                                   "--resume", "--progress", "--plot"):
                raise ManifestError(
                    "qtrain_args: %s is set by results.py per job" % a)

        self.recipes = []
        ids = {}
        for i, spec in enumerate(data["recipes"]):
            if not isinstance(spec, str) or not spec:
                raise ManifestError("recipes[%d]: expected a recipe name or "
                                    "path" % i)
            try:
                r = Recipe(spec, self.dir)
            except ManifestError as e:
                raise ManifestError("recipes[%d]: %s" % (i, e))
            if r.id in ids:
                raise ManifestError(
                    "recipes[%d]: '%s' has the same name as recipes[%d] (the "
                    "runs are named by it)" % (i, r.id, ids[r.id]))
            ids[r.id] = i
            self.recipes.append(r)
        self.recipe = {r.id: r for r in self.recipes}

        # The DGA paper's metric: these recipes' runs also measure the angle
        # between their weight gradients and the reference's
        # (qtrain-train --gradient-angle-vs).
        angles = data.get("gradient_angles", {})
        check_keys(angles, {"reference": str, "recipes": list},
                   "gradient_angles.", ("reference", "recipes")
                   if angles else ())
        self.angle_reference = None
        self.angle_recipes = set()
        if angles:
            try:
                self.angle_reference = Recipe(angles["reference"], self.dir)
            except ManifestError as e:
                raise ManifestError("gradient_angles.reference: %s" % e)
            for name in self._strings(angles["recipes"],
                                      "gradient_angles.recipes"):
                if name not in self.recipe:
                    raise ManifestError(
                        "gradient_angles.recipes: '%s' is not one of the "
                        "manifest's recipes" % name)
                self.angle_recipes.add(name)

        self.claims = []
        claim_ids = set()
        for i, claim in enumerate(data["claims"]):
            where = "claims[%d]" % i
            if not isinstance(claim, dict):
                raise ManifestError(where + ": expected an object")
            check_keys(claim, CLAIM_KEYS, where + ".",
                       ("id", "claim", "published", "recipe", "baseline",
                        "rule"))
            if claim["id"] in claim_ids:
                raise ManifestError("%s.id: '%s' repeated" % (where,
                                                              claim["id"]))
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", claim["id"]):
                raise ManifestError("%s.id: use letters, digits, '-', '_' "
                                    "and '.' (it names the plot files)" % where)
            claim_ids.add(claim["id"])
            for key in ("recipe", "baseline"):
                if claim[key] not in self.recipe:
                    raise ManifestError(
                        "%s.%s: '%s' is not in the manifest's recipes (%s)" % (
                            where, key, claim[key],
                            ", ".join(self.recipe)))
            if claim["rule"] not in RULES:
                raise ManifestError("%s.rule: '%s' is not one of %s" % (
                    where, claim["rule"], ", ".join(RULES)))
            if claim["rule"] == "within" and "threshold" not in claim:
                raise ManifestError("%s.threshold: required by the rule "
                                    "'within'" % where)
            claim.setdefault("threshold", 0)
            claim.setdefault("technique", "")
            claim.setdefault("trace", False)
            claim.setdefault("tried", "")
            self.claims.append(claim)

        self.slurm = data.get("slurm", {})
        check_keys(self.slurm, SLURM_KEYS, "slurm.")
        self._strings(self.slurm.get("options", []), "slurm.options")

    @staticmethod
    def _strings(value, where):
        if not all(isinstance(v, str) for v in value):
            raise ManifestError(where + ": expected an array of strings")
        return list(value)


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------

class Job:
    def __init__(self, network, net_args, recipe, seed, opts, manifest):
        self.network = network
        self.recipe = recipe
        self.seed = seed
        self.epochs = manifest.net_epochs[network]
        self.out = os.path.join(opts.runs, network)
        self.name = "%s-%s-s%d" % (network, recipe.id, seed)
        self.csv = os.path.join(self.out, self.name + ".csv")
        self.ckpt = os.path.join(self.out, self.name + ".ckpt")
        self.modes = os.path.join(self.out, self.name + "-modes.csv")
        self.angles = os.path.join(self.out, self.name + "-angles.csv")
        angle_args = []
        if recipe.id in manifest.angle_recipes:
            angle_args = ["--gradient-angle-vs="
                          + manifest.angle_reference.argument()]
        self.argv = ([rel(opts.qtrain_train), network,
                      "--recipe=" + recipe.argument(),
                      "--seed=%d" % seed,
                      "--epochs=%d" % self.epochs,
                      "--out=" + rel(self.out),
                      "--progress=quiet", "--plot=false"]
                     + angle_args + manifest.qtrain_args + net_args
                     + opts.qtrain_arg)

    def command(self, resume=False):
        return " ".join(q(a) for a in self.argv + (["--resume"] if resume
                                                    else []))


def make_jobs(manifest, opts):
    only = getattr(opts, "network", None) or []
    known = [n for n, _ in manifest.networks]
    for name in only:
        if name not in known:
            die("--network %s: the manifest's networks are %s"
                % (name, ", ".join(known)))
    recipes = getattr(opts, "recipe", None) or []
    ids = [r.id for r in manifest.recipes]
    for name in recipes:
        if name not in ids:
            die("--recipe %s: the manifest's recipes are %s"
                % (name, ", ".join(ids)))
    return [Job(net, args, r, s, opts, manifest)
            for net, args in manifest.networks
            if not only or net in only
            for r in manifest.recipes
            if not recipes or r.id in recipes
            for s in manifest.seeds]


def read_csv(path):
    """The rows of a qtrain-train CSV as dicts of floats, or None."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return None
    if not rows or rows[0] != CSV_HEADER:
        return None
    out = []
    for row in rows[1:]:
        if len(row) != len(CSV_HEADER):
            continue
        try:
            out.append({k: float(v) for k, v in zip(CSV_HEADER, row)})
        except ValueError:
            continue
    return out


def epochs_done(path):
    rows = read_csv(path)
    return 0 if rows is None else len(rows)


def cmd_jobs(manifest, opts):
    for job in make_jobs(manifest, opts):
        print(job.command())


XARGS_SHELL = ('eval "$1" || { s=$?; echo "FAILED (exit $s): $1" >&2; '
               'exit 1; }')


def cmd_run(manifest, opts):
    jobs = make_jobs(manifest, opts)
    lines, done, resumed = [], 0, 0
    for job in jobs:
        have = epochs_done(job.csv)
        if have >= job.epochs:
            done += 1
            continue
        resume = os.path.isfile(job.ckpt)
        resumed += resume
        lines.append(job.command(resume))
    xargs = ["xargs", "-d", "\\n", "-n", "1", "-P", str(opts.jobs),
             "sh", "-c", XARGS_SHELL, "sh"]
    threads = os.environ.get("OMP_NUM_THREADS") or str(
        max(1, (os.cpu_count() or 1) // opts.jobs))
    print("# %d jobs: %d finished (skipped), %d to resume from a checkpoint, "
          "%d to start; %d at a time, OMP_NUM_THREADS=%s" % (
              len(jobs), done, resumed, len(lines) - resumed, opts.jobs,
              threads))
    if opts.dry_run:
        print("# would run from %s: <these lines> | OMP_NUM_THREADS=%s %s" % (
            ROOT, threads,
            " ".join(q(a) for a in xargs)))
        for line in lines:
            print(line)
        return 0
    if not lines:
        return 0
    sys.stdout.flush()  # before the jobs' output
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    proc = subprocess.run(xargs, input="".join(l + "\n" for l in lines),
                          text=True, cwd=ROOT, env=env)
    missing = [j.name for j in jobs if epochs_done(j.csv) < j.epochs]
    if missing:
        print("# %d runs unfinished: %s" % (len(missing), ", ".join(missing)),
              file=sys.stderr)
    else:
        print("# all %d runs finished; next: scripts/results.py report"
              % len(jobs))
    return 0 if proc.returncode == 0 and not missing else 1


def bash_word(text):
    return "'" + text.replace("'", "'\\''") + "'"


def cmd_slurm(manifest, opts):
    jobs = make_jobs(manifest, opts)
    s = manifest.slurm
    cpus = s.get("cpus_per_task", 2)
    lines = [
        "#!/bin/bash",
        "# The sweep of %s as a Slurm job array: one array task per job" %
        rel(manifest.path),
        "# (network x recipe x seed), %d in all. Written by "
        "scripts/results.py slurm;" % len(jobs),
        "# submit from the repository root: sbatch THIS_FILE. A task whose run",
        "# has a checkpoint continues it (--resume); a finished run is skipped.",
        "# Then, anywhere with the CSVs: scripts/results.py report",
        "#SBATCH --job-name=%s" % s.get("job_name", "qtrain-results"),
        "#SBATCH --array=0-%d" % (len(jobs) - 1),
        "#SBATCH --cpus-per-task=%d" % cpus,
        "#SBATCH --time=%s" % s.get("time", "24:00:00"),
    ]
    if "mem" in s:
        lines.append("#SBATCH --mem=%s" % s["mem"])
    lines.append("#SBATCH --output=%s/slurm-%%A_%%a.out" % rel(opts.runs))
    lines += ["#SBATCH " + o for o in s.get("options", [])]
    lines += [
        "set -euo pipefail",
        'cd "${QTRAIN_ROOT:-${SLURM_SUBMIT_DIR:-.}}"',
        'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-%d}"' % cpus,
        "",
        "jobs=(",
    ]
    lines += ["  " + bash_word(j.command()) for j in jobs]
    lines += [")", "csvs=("]
    lines += ["  " + bash_word(rel(j.csv)) for j in jobs]
    lines += [")", "epochs=(" + " ".join(str(j.epochs) for j in jobs) + ")",
              "",
              'i="${SLURM_ARRAY_TASK_ID:?not a Slurm array task}"',
              'job="${jobs[$i]}"',
              'csv="${csvs[$i]}"',
              'if [ -f "$csv" ] && [ "$(($(wc -l < "$csv") - 1))" -ge "${epochs[$i]}" ]; then',
              '  echo "task $i: $csv is finished"; exit 0',
              "fi",
              'if [ -f "${csv%.csv}.ckpt" ]; then job="$job --resume"; fi',
              'echo "task $i on $(hostname): $job"',
              'eval "$job"',
              ""]
    text = "\n".join(lines)
    os.makedirs(opts.runs, exist_ok=True)  # for --output
    if opts.output and opts.output != "-":
        with open(opts.output, "w") as f:
            f.write(text)
        os.chmod(opts.output, 0o755)
        print("wrote %s: %d array tasks; submit with: sbatch %s" % (
            opts.output, len(jobs), opts.output))
    else:
        sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

class Stats:
    """Final test accuracy of one (network, recipe) over the seeds."""

    def __init__(self, jobs):
        self.jobs = jobs
        self.finals, self.missing, self.partial = [], [], []
        self.seconds = []
        for job in jobs:
            rows = read_csv(job.csv) or []
            if len(rows) >= job.epochs:
                self.finals.append(rows[job.epochs - 1]["test_accuracy"])
                self.seconds += [r["epoch_seconds"] for r in rows[:job.epochs]]
            elif rows:
                self.partial.append((job, len(rows)))
            else:
                self.missing.append(job)
        self.n = len(self.finals)
        self.mean = sum(self.finals) / self.n if self.n else None
        self.sd = (math.sqrt(sum((x - self.mean) ** 2 for x in self.finals)
                             / (self.n - 1)) if self.n > 1 else None)

    def text(self):
        if not self.n:
            return "not run" if not self.partial else "running"
        if self.sd is None:
            return "%.2f (n=1)" % self.mean
        return "%.2f ± %.2f (n=%d)" % (self.mean, self.sd, self.n)

    def epoch_seconds(self):
        return sum(self.seconds) / len(self.seconds) if self.seconds else None


def evaluate(claim, cand, base, seeds):
    """(ours, verdict) for one claim on one network."""
    if not cand.n or not base.n:
        waiting = [s for s in (cand, base) if not s.n]
        running = any(s.partial for s in waiting)
        return "", ("running" if running else "not run")
    delta = cand.mean - base.mean
    ours = "%s vs %s: Δ %+.2f" % (cand.text(), base.text(), delta)
    rule, t = claim["rule"], claim["threshold"]
    if rule == "baseline":
        verdict = "baseline (no claim)"
    else:
        if rule == "within":
            holds = -delta <= t
        elif rule == "better":
            holds = delta > t
        else:
            holds = -delta > t
        verdict = "holds" if holds else "does not hold"
        spread = max(s.sd for s in (cand, base) if s.sd is not None) \
            if (cand.sd is not None or base.sd is not None) else None
        if rule in ("better", "worse") and spread is not None \
                and abs(delta) - t <= spread:
            verdict += ", within the seed spread"
    short = ["%s %d of %d seeds" % (name, st.n, len(seeds))
             for name, st in ((claim["recipe"], cand),
                              (claim["baseline"], base)) if st.n < len(seeds)]
    if short:
        verdict += " (" + ", ".join(short) + ")"
    return ours, verdict


def rule_text(claim):
    r, t = claim["rule"], claim["threshold"]
    c, b = claim["recipe"], claim["baseline"]
    if r == "within":
        return "%s ≥ %s − %g" % (c, b, t)
    if r == "better":
        return "%s > %s" % (c, b) + (" + %g" % t if t else "")
    if r == "worse":
        return "%s < %s" % (c, b) + (" − %g" % t if t else "")
    return "%s vs %s" % (c, b)


def link(label, path, out_dir):
    return "[%s](%s)" % (label, rel(path, out_dir).replace(os.sep, "/"))


def machine_text():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s %s" % (cpu, os.cpu_count() or 0,
                                    platform.system(), platform.release())


def git_text():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True).stdout.strip()
        return head + (" with local changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ladder_names(recipe_json):
    """For a dynamic-precision recipe: (ladder short names, start rung per
    role), to turn the modes CSV's offsets into format names."""
    dp = recipe_json.get("dynamic_precision")
    if not dp:
        return None, {}
    if recipe_json.get("layers"):
        # A layer entry may start a (layer, role) on another rung; the
        # offsets are then shown as they are.
        return None, {}
    short = [re.sub(r"^#qtrain\.scaled<(\w+)>$", r"\1", f)
             for f in dp.get("ladder", [])]
    start = {}
    for role, rule in recipe_json.get("roles", {}).items():
        fmt = rule.get("format")
        if fmt in dp.get("ladder", []):
            start[role] = dp["ladder"].index(fmt)
    return short, start


def mode_trace(job, recipe_json, out_dir):
    try:
        with open(job.modes, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return ["%s: no modes CSV (not run yet)." % job.name, ""]
    if len(rows) < 2:
        return ["%s: the modes CSV is empty." % job.name, ""]
    ladder, start = ladder_names(recipe_json)
    head = rows[0]

    def name(column, value):
        try:
            offset = int(value)
        except ValueError:
            return value
        role = column.rsplit(".", 1)[-1]
        if ladder and role in start and 0 <= start[role] + offset < len(ladder):
            return ladder[start[role] + offset]
        return value

    out = ["%s (%s): the precision mode of each controlled layer.role at "
           "each epoch's end%s." % (
               job.name, link("CSV", job.modes, out_dir),
               "" if ladder else " (rungs from the starting one: +1 is one "
               "rung less precise)"),
           "", "| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    for row in rows[1:]:
        out.append("| " + " | ".join(
            [row[0]] + [name(c, v) for c, v in zip(head[1:], row[1:])]) + " |")
    return out + [""]


def plot(csvs, labels, png, opts):
    if not csvs:
        return False
    os.makedirs(os.path.dirname(png), exist_ok=True)
    argv = [opts.qtrain_train, "--plot-only=" + ",".join(csvs),
            "--plot-labels=" + ",".join(labels), "-o", png]
    try:
        r = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        print("results.py: warning: cannot run %s: %s" % (argv[0], e),
              file=sys.stderr)
        return False
    if r.returncode != 0 or not os.path.isfile(png):
        print("results.py: warning: no plot %s: %s" % (
            png, (r.stderr or r.stdout).strip()), file=sys.stderr)
        return False
    return True


def cmd_report(manifest, opts):
    out_path = os.path.abspath(opts.output)
    out_dir = os.path.dirname(out_path)
    plots = os.path.abspath(opts.plots or os.path.join(opts.runs, "plots"))
    jobs = make_jobs(manifest, opts)
    by = {}
    for job in jobs:
        by.setdefault((job.network, job.recipe.id), []).append(job)
    stats = {k: Stats(v) for k, v in by.items()}
    nets = [n for n, _ in manifest.networks]
    finished = sum(1 for j in jobs if epochs_done(j.csv) >= j.epochs)
    argv_text = " ".join(q(a) for a in ["scripts/results.py", "report"] + (
        ["--manifest", rel(manifest.path)]
        if rel(manifest.path) != "results/manifest.json" else []) + (
        ["--runs", rel(opts.runs)] if rel(opts.runs) != "results/runs"
        else []))

    md = ["# " + manifest.title, "",
          "Written by `%s` on %s from %s: %d of %d runs finished." % (
              argv_text,
              datetime.datetime.now(datetime.timezone.utc).strftime(
                  "%Y-%m-%d %H:%M UTC"),
              link(rel(manifest.path), manifest.path, out_dir),
              finished, len(jobs)),
          "Do not edit by hand: change the manifest or the runs and write it "
          "again ([how](%s))." % rel(os.path.join(ROOT, "docs",
                                                  "Results-howto.md"),
                                     out_dir).replace(os.sep, "/"),
          "",
          "- Runs: `qtrain-train NETWORK --recipe=R --seed=S --epochs=E%s` "
          "on Fashion-MNIST; networks %s; seeds %s; one job each (`%s`)." % (
              "".join(" " + a for a in manifest.qtrain_args + opts.qtrain_arg),
              ", ".join("%s (%d epochs%s)" % (
                  n, manifest.net_epochs[n], "".join(", " + x for x in a))
                  for n, a in manifest.networks),
              ", ".join(str(s) for s in manifest.seeds),
              "scripts/results.py run"),
          "- Machine: %s. qtrain: commit %s." % (machine_text(), git_text()),
          "- Accuracy: the test accuracy (%) after the last epoch, mean ± "
          "sample standard deviation over the seeds (n = seeds finished). "
          "Δ = recipe − baseline in percentage points.",
          "- Rules: *within t*: the recipe loses at most t points against "
          "the baseline; *better* / *worse*: the mean is above / below the "
          "baseline's by more than t (default 0), flagged *within the seed "
          "spread* when the margin is not larger than the larger standard "
          "deviation; *baseline*: reported, no claim.",
          ""]
    if manifest.comment:
        md += [manifest.comment, ""]

    # Claims: one row each, a column per network.
    md += ["## Claims", "",
           "Per network: the verdict, then the recipe's and the baseline's "
           "test accuracy (%) and Δ; the plot draws every seed's curves of "
           "both (test loss solid, train loss dashed, test accuracy).", "",
           "| Claim | Published | Rule | " + " | ".join(nets) + " | Data |",
           "|---|---|---|" + "---|" * len(nets) + "---|"]
    failing = []
    for claim in manifest.claims:
        cells, data = [], []
        for net in nets:
            cand = stats[(net, claim["recipe"])]
            base = stats[(net, claim["baseline"])]
            ours, verdict = evaluate(claim, cand, base, manifest.seeds)
            cells.append("**%s**%s" % (verdict, (": " + ours) if ours else ""))
            if verdict.startswith("does not hold"):
                failing.append((claim, net, ours))
            links = []
            png = os.path.join(plots, "%s-%s.png" % (claim["id"], net))
            have = [(j, r) for r, st in ((claim["recipe"], cand),
                                         (claim["baseline"], base))
                    for j in st.jobs if read_csv(j.csv)]
            if any(r == claim["recipe"] for _, r in have) and plot(
                    [j.csv for j, _ in have],
                    ["%s s%d" % (r, j.seed) for j, r in have], png, opts):
                links.append(link("plot", png, out_dir))
            for r, st in ((claim["recipe"], cand), (claim["baseline"], base)):
                seeds = [link("s%d" % j.seed, j.csv, out_dir)
                         for j in st.jobs if read_csv(j.csv)]
                if seeds:
                    links.append(r + " " + " ".join(seeds))
            if claim["trace"]:
                modes = [link("s%d" % j.seed, j.modes, out_dir)
                         for j in cand.jobs if os.path.isfile(j.modes)]
                if modes:
                    links.append("modes " + " ".join(modes))
            if links:
                data.append(net + ": " + " · ".join(links))
        md.append("| %s | %s | %s | %s | %s |" % (
            (claim["technique"] + ": " if claim["technique"] else "")
            + "**%s** %s" % (claim["id"], claim["claim"]),
            claim["published"], rule_text(claim), " | ".join(cells),
            "<br>".join(data) or "—"))
    md.append("")

    md += ["## Claims that do not reproduce", ""]
    if failing:
        for claim, net, ours in failing:
            md.append("- **%s** on %s: %s. Published: %s. %s" % (
                claim["id"], net, ours, claim["published"],
                ("Tried: " + claim["tried"]) if claim["tried"]
                else "Nothing else tried yet."))
    else:
        md.append("None among the claims evaluated so far.")
    md.append("")

    # Mode traces.
    traced = [c for c in manifest.claims if c["trace"]]
    if traced:
        md += ["## Precision mode traces", ""]
        seen = set()
        for claim in traced:
            r = manifest.recipe[claim["recipe"]]
            if r.id in seen:
                continue
            seen.add(r.id)
            rj = r.load()
            ladder, _ = ladder_names(rj)
            md += ["Recipe `%s`%s." % (r.id, (
                ": modes on the ladder " + " → ".join(ladder)
                + " (most precise first)") if ladder else ""), ""]
            for net in nets:
                for job in stats[(net, r.id)].jobs:
                    md += mode_trace(job, rj, out_dir)

    # Gradient angles.
    if manifest.angle_recipes:
        md += ["## Gradient angles", "",
               "The DGA paper's error metric in the runs: after each epoch, "
               "the angle (degrees) between the weight gradients a recipe "
               "computes and those of `%s` from the same state, batch and "
               "seed (`qtrain-train --gradient-angle-vs`, "
               "[Runner.md](Runner.md#gradient-angles---gradient-angle-vs)). "
               "Per parameter: the mean over the epochs and seeds "
               "finished." % manifest.angle_reference.id, ""]
        for net in nets:
            rows, header = [], None
            for r in manifest.recipes:
                if r.id not in manifest.angle_recipes:
                    continue
                sums, n = None, 0
                for job in stats[(net, r.id)].jobs:
                    try:
                        with open(job.angles) as f:
                            table = list(csv.reader(f))
                    except OSError:
                        continue
                    if len(table) < 2:
                        continue
                    header = table[0][1:]
                    for row in table[1:]:
                        values = [float(v) for v in row[1:]]
                        sums = values if sums is None else [
                            a + b for a, b in zip(sums, values)]
                        n += 1
                rows.append((r.id, None if sums is None else
                             [v / n for v in sums], n))
            if header is None:
                md += ["%s: no angles measured yet." % net, ""]
                continue
            md += ["%s:" % net, "",
                   "| Recipe | " + " | ".join(header) + " | epochs x seeds |",
                   "|---|" + "---|" * (len(header) + 1)]
            for rid, means, n in rows:
                md.append("| %s | %s | %d |" % (
                    rid, " | ".join("%.2f" % v for v in means) if means
                    else " | ".join("—" for _ in header), n))
            md.append("")

    # Accuracy per recipe.
    md += ["## Test accuracy per recipe", "",
           "| Recipe | " + " | ".join(
               "%s accuracy | %s s/epoch" % (n, n) for n in nets) + " |",
           "|---|" + "---|---|" * len(nets)]
    for r in manifest.recipes:
        cells = []
        for net in nets:
            s = stats[(net, r.id)]
            sec = s.epoch_seconds()
            cells += [s.text(), "%.1f" % sec if sec is not None else "—"]
        md.append("| %s | %s |" % (r.id, " | ".join(cells)))
    md.append("")

    # Recipes.
    md += ["## Recipes", "",
           "| Recipe | Source | What it is |", "|---|---|---|"]
    for r in manifest.recipes:
        comment = r.load().get("comment", "").replace("|", "\\|")
        src = ("bundled (%s)" % link("recipes/%s.json" % r.id, r.source,
                                     out_dir)) if r.path is None else \
            link(rel(r.path), r.path, out_dir)
        md.append("| %s | %s | %s |" % (r.id, src, comment))
    md.append("")

    os.makedirs(out_dir, exist_ok=True)
    with open(out_path, "w") as f:
        f.write("\n".join(md))
    print("wrote %s: %d claims x %d networks, %d of %d runs finished" % (
        rel(out_path, os.getcwd()), len(manifest.claims), len(nets),
        finished, len(jobs)))
    return 0


# ---------------------------------------------------------------------------

def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # results.py jobs | head
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--manifest",
                        default=os.path.join(ROOT, "results", "manifest.json"),
                        help="the sweep and its claims "
                             "(default results/manifest.json)")
    common.add_argument("--runs", default=os.path.join(ROOT, "results", "runs"),
                        help="where the runs write (default results/runs); "
                             "one folder per network")
    common.add_argument("--qtrain-arg", action="append", default=[],
                        metavar="ARG",
                        help="one more qtrain-train argument for every job "
                             "(repeatable), after the manifest's qtrain_args")
    common.add_argument("--network", action="append", default=[],
                        metavar="NAME",
                        help="only this network's jobs (repeatable; "
                             "default: all)")
    common.add_argument("--recipe", action="append", default=[],
                        metavar="ID",
                        help="only this recipe's jobs, by its id in the "
                             "run names (repeatable; default: all)")
    build = os.environ.get("QTRAIN_BUILD_DIR", os.path.join(ROOT, "build"))
    common.add_argument("--qtrain-train",
                        default=os.path.join(build, "bin", "qtrain-train"),
                        help="the runner (default $QTRAIN_BUILD_DIR or "
                             "build, bin/qtrain-train)")

    parser = argparse.ArgumentParser(
        prog="results.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("jobs", parents=[common],
                   help="print one qtrain-train command per job")
    p = sub.add_parser("run", parents=[common],
                       help="run the unfinished jobs with xargs -P")
    p.add_argument("--jobs", "-j", type=int, default=1,
                   help="jobs at a time (default 1)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would run")
    p = sub.add_parser("slurm", parents=[common],
                       help="write an sbatch job-array script")
    p.add_argument("-o", "--output", default="-",
                   help="the script (default: standard output)")
    p = sub.add_parser("report", parents=[common],
                       help="write docs/RESULTS.md from the runs")
    p.add_argument("-o", "--output",
                   default=os.path.join(ROOT, "docs", "RESULTS.md"),
                   help="the markdown file (default docs/RESULTS.md)")
    p.add_argument("--plots", default=None,
                   help="where the plots go (default RUNS/plots)")
    opts = parser.parse_args(argv)
    if getattr(opts, "jobs", 1) < 1:
        die("--jobs must be at least 1")
    opts.runs = os.path.abspath(opts.runs)
    opts.qtrain_train = os.path.abspath(opts.qtrain_train)
    manifest = Manifest(opts.manifest)
    return {"jobs": cmd_jobs, "run": cmd_run, "slurm": cmd_slurm,
            "report": cmd_report}[opts.command](manifest, opts) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
