#!/usr/bin/env python3
"""The store benchmark (issue 10): commits per second and `run` latency on SQLite, a one-member
etcd and a 3-member etcd on localhost, with 1 and 4 concurrent writers; `watch`'s delay from a
commit to its line. Starts its own etcd processes (Debian's `etcd`) on free ports in a temporary
folder and stops them. Prints a table and, with --write FILE, rewrites FILE's section between
<!-- stores:begin --> and <!-- stores:end -->. Figures only: analysis lives in the prose around.

usage: bench/stores.py --host target/release/registry-host [--runs 20] [--write BENCHMARKS.md]
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SETUP = 'assert(require("registry").snapshot():changes()' \
    ':create({id = "c:counter", kind = "counter", data = {n = 0}}):apply())'

INCREMENT = '''local r = require("registry")
local n = r.get("c:counter").data.n
assert(r.snapshot():changes():update({id = "c:counter", kind = "counter", data = {n = n + 1}}):apply())
print("committed")
'''


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Etcd:
    """`size` etcd members on localhost, data in `folder`."""

    def __init__(self, size, folder):
        ports = free_ports(2 * size)
        self.members = [(f"m{i}", ports[2 * i], ports[2 * i + 1]) for i in range(size)]
        cluster = ",".join(f"{n}=http://127.0.0.1:{p}" for n, _, p in self.members)
        self.processes = []
        for name, client, peer in self.members:
            log = open(os.path.join(folder, f"{name}.log"), "w")
            self.processes.append(subprocess.Popen(
                ["etcd", "--name", name, "--data-dir", os.path.join(folder, name),
                 "--listen-client-urls", f"http://127.0.0.1:{client}",
                 "--advertise-client-urls", f"http://127.0.0.1:{client}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-cluster", cluster, "--initial-cluster-state", "new"],
                stdout=log, stderr=log))
        for _, client, _ in self.members:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=2) as r:
                        if b'"health":"true"' in r.read():
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit(f"etcd on port {client} did not start")
                time.sleep(0.05)

    def url(self, prefix):
        return "etcd://" + ",".join(f"127.0.0.1:{c}" for _, c, _ in self.members) + "/" + prefix

    def stop(self):
        for process in self.processes:
            process.kill()
            process.wait()


def host(args, store, *extra):
    return [args.host, "--store", store, *extra]


def run_writers(args, store, folder, writers):
    """`writers` processes at once, each doing args.runs runs of one commit; returns the
    latencies (s) and the elapsed time."""
    script = os.path.join(folder, "increment.lua")
    latencies = []
    lock = threading.Lock()

    def writer():
        for _ in range(args.runs):
            started = time.monotonic()
            done = subprocess.run(host(args, store, "--wait", "5m", "run", script),
                                  cwd=folder, capture_output=True, text=True)
            took = time.monotonic() - started
            if done.returncode != 0 or done.stdout != "committed\n":
                sys.exit(f"a run failed on {store}: {done}")
            with lock:
                latencies.append(took)

    started = time.monotonic()
    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.monotonic() - started


def watch_delays(args, store, folder, count):
    """Starts `watch`, then commits `count` times, one run after another; the delay of each is
    from the moment its run printed "committed" (the commit is stored) to watch's line."""
    watch = subprocess.Popen(host(args, store, "watch"), cwd=folder,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    arrivals = []

    def read():
        for _ in watch.stdout:
            arrivals.append(time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1)  # watch is up
    script = os.path.join(folder, "increment.lua")
    committed = []
    for _ in range(count):
        run = subprocess.Popen(host(args, store, "run", script), cwd=folder,
                               stdout=subprocess.PIPE, text=True)
        line = run.stdout.readline()
        committed.append(time.monotonic())
        assert line == "committed\n", line
        run.wait()
        deadline = time.monotonic() + 10
        while len(arrivals) < len(committed) and time.monotonic() < deadline:
            time.sleep(0.001)
    watch.kill()
    watch.wait()
    if len(arrivals) != count:
        sys.exit(f"watch printed {len(arrivals)} lines for {count} commits on {store}")
    return [a - c for a, c in zip(arrivals, committed)]


def ms(seconds):
    return f"{seconds * 1000:.0f}"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--runs", type=int, default=20, help="runs per writer")
    parser.add_argument("--write")
    args = parser.parse_args()
    args.host = os.path.abspath(args.host)
    root = tempfile.mkdtemp(prefix="bench-stores-")
    clusters = []
    rows, watch_rows = [], []
    try:
        for size in (1, 3):
            folder = os.path.join(root, f"etcd{size}")
            os.mkdir(folder)
            clusters.append(Etcd(size, folder))
        one, three = clusters
        stores = [("SQLite", lambda prefix: f"sqlite:{os.path.join(root, prefix + '.db')}"),
                  ("etcd, 1 member", one.url), ("etcd, 3 members", three.url)]
        with open(os.path.join(root, "increment.lua"), "w") as f:
            f.write(INCREMENT)
        with open(os.path.join(root, "setup.lua"), "w") as f:
            f.write(SETUP)
        for name, url in stores:
            for writers in (1, 4):
                store = url(f"w{writers}")
                subprocess.run(host(args, store, "run", os.path.join(root, "setup.lua")),
                               cwd=root, check=True, capture_output=True)
                latencies, elapsed = run_writers(args, store, root, writers)
                rows.append((name, writers, len(latencies), len(latencies) / elapsed,
                             statistics.median(latencies), percentile(latencies, 95)))
                print(f"{name}, {writers} writer(s): {rows[-1][3]:.1f} commits/s, run p50 "
                      f"{ms(rows[-1][4])} ms, p95 {ms(rows[-1][5])} ms", file=sys.stderr)
            store = url("watch")
            subprocess.run(host(args, store, "run", os.path.join(root, "setup.lua")),
                           cwd=root, check=True, capture_output=True)
            delays = watch_delays(args, store, root, args.runs)
            watch_rows.append((name, len(delays), statistics.median(delays),
                               percentile(delays, 95)))
            print(f"{name}: watch delay p50 {ms(watch_rows[-1][2])} ms", file=sys.stderr)
    finally:
        for cluster in clusters:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    load = open("/proc/loadavg").read().split()[:3]
    lines = [
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/stores.py` with "
        f"{os.path.relpath(args.host)}, {args.runs} runs per writer, load average "
        f"{' '.join(load)} at the end on {os.cpu_count()} cores; etcd "
        + subprocess.run(["etcd", "--version"], capture_output=True, text=True)
        .stdout.split("\n")[0].split(": ")[-1] + " on localhost (every member on this machine's disk).",
        "",
        "| store | writers | runs | commits/s | run p50 (ms) | run p95 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, writers, runs, rate, p50, p95 in rows:
        lines.append(f"| {name} | {writers} | {runs} | {rate:.1f} | {ms(p50)} | {ms(p95)} |")
    lines += ["", "| store | commits watched | delay p50 (ms) | delay p95 (ms) |",
              "|---|---:|---:|---:|"]
    for name, count, p50, p95 in watch_rows:
        lines.append(f"| {name} | {count} | {ms(p50)} | {ms(p95)} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        text = open(args.write).read()
        begin, end = "<!-- stores:begin -->", "<!-- stores:end -->"
        if begin not in text:
            sys.exit(f"{args.write} has no {begin} section")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(args.write, "w") as f:
            f.write(head + begin + "\n" + table + "\n" + end + tail)


if __name__ == "__main__":
    main()
