"""What a real Linux kernel does when its replies need a neighbour it has to resolve: the ARP
exchange on the wire and its timing, the neighbour's state over time, the packets held and
released or dropped, and the counters.

Run as root on the machine's own kernel:  python3 tests/oracle/neigh_oracle.py CASE.json

The host is a network namespace with one veth, eth0, whose peer w0 sits in a "wire" namespace
with no addresses (its kernel answers nothing). A process on w0 plays the peers: it sends the
case's frames at their times, answers the ARP requests the case says to answer (after a delay,
up to a count), and records every frame the host sends, with its time from the first frame
sent. At the case's snapshot times it reads `ip neigh show dev eth0` and `ip -s neigh show dev
eth0`; at the end /proc/net/arp, the host's
/proc/net/snmp and the skb:kfree_skb events with a NEIGH_* reason.

arp_tbl is one table for the whole machine: its gc_thresh1..3 (net.ipv4.neigh.default.gc_*,
which only the initial namespace has) are set there and put back after, as is
net.core.default_qdisc, and while the case runs
the table holds the case's entries alone — every other namespace's dynamic IPv4 entry is made
permanent (outside collection; deleted after, to be learnt again) or, unresolved, deleted. The
table's counters (/proc/net/stat/arp_cache, summed over CPUs) are recorded as what the case added
("arp_cache").

The case's "ip" commands run first (a permanent neighbour, a txqueuelen); with "qdisc", its
tc commands then set up eth0's queueing (a veth has none: noqueue),
and each snapshot also reads `tc -s qdisc show dev eth0`; frames given the same time go back to
back, and the times the wire actually sent them are recorded ("in").

Case: {"interface": {"name", "mac", "addrs", "mtu"}, "sysctl": {NAME: VALUE},
       "ip": [[IP ARGS]], "qdisc": [[TC ARGS after "tc qdisc"]], "numtxqueues": N,
       "sysfs": [[PATH, VALUE]], "wire_cpu": CPU, "read": [PATH], "listen": [PORT],
       "wire_numtxqueues": N, "wire_sysfs": [[PATH, VALUE]],
       "frames": [{"t": SECONDS, "frame": HEX}],
       "answer": {IP: {"mac": MAC, "delay": SECONDS, "count": N}},
       "snapshots": [SECONDS], "end": SECONDS}
Output (JSON): {"sent": [{"t", "frame"}], "neigh": [{"t", "lines"}], "stats": [{"t", "lines"}],
"tc": [{"t", "lines"}], "in": [SECONDS], "arp": [LINE], "sysfs": {PATH: TEXT}, "counters", "drops",
"arp_cache": {COLUMN: DELTA}}
"""
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

from replay_oracle import machine_wide, sh

HOST, WIRE = "rxn_host", "rxn_wire"
TRACE = "/sys/kernel/tracing"
INSTANCE = f"{TRACE}/instances/rxpath_neigh"
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35


def teardown():
    for ns in (HOST, WIRE):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def setup(case):
    teardown()
    for ns in (HOST, WIRE):
        sh("ip", "netns", "add", ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
    itf = case["interface"]
    sh("ip", "link", "set", "lo", "up", ns=HOST)
    queues = ["numtxqueues", str(case["numtxqueues"])] if "numtxqueues" in case else []
    wire_queues = ["numtxqueues", str(case["wire_numtxqueues"])] if "wire_numtxqueues" in case else []
    sh("ip", "link", "add", itf["name"], "netns", HOST, *queues, "type", "veth", "peer", "name", "w0", "netns", WIRE,
       *wire_queues)
    sh("ip", "link", "set", itf["name"], "address", itf["mac"], "mtu", str(itf["mtu"]), "up", ns=HOST)
    sh("ip", "link", "set", "w0", "mtu", str(itf["mtu"]), "up", ns=WIRE)
    sh("ethtool", "-K", itf["name"], "rx", "off", "gro", "off", ns=HOST, check=False)
    for a in itf["addrs"]:
        sh("ip", "addr", "add", a, "dev", itf["name"], ns=HOST)
    for args in case.get("ip", []):
        sh("ip", *args, ns=HOST)
    for name, value in case.get("sysctl", {}).items():
        if machine_wide(name):
            continue
        if sh("sysctl", "-w", f"{name}={value}", ns=HOST).strip() != f"{name} = {value}":
            raise RuntimeError(f"sysctl {name}={value} did not take in the namespace")
    for args in case.get("qdisc", []):
        sh("tc", "qdisc", *args, ns=HOST)
    for path, value in case.get("sysfs", []):
        sh("sh", "-c", f"echo {value} > {path}", ns=HOST)
    for path, value in case.get("wire_sysfs", []):
        sh("sh", "-c", f"echo {value} > {path}", ns=WIRE)
    # the address's own neighbour work (its gratuitous traffic) is over before the case starts
    time.sleep(0.5)


def own_the_table(case):
    """Sets the case's machine-wide settings and leaves arp_tbl's collection list to the case:
    returns what to put back."""
    saved = {"sysctl": {}, "made_permanent": []}
    for name, value in case.get("sysctl", {}).items():
        if machine_wide(name):
            saved["sysctl"][name] = sh("sysctl", "-n", name).strip()
            sh("sysctl", "-qw", f"{name}={value}")
    for ns in [None] + [l.split()[0] for l in sh("ip", "netns", "list").splitlines()
                        if l.split()[0] not in (HOST, WIRE)]:
        pre = ["ip"] + (["-n", ns] if ns else [])
        for line in sh(*pre, "-4", "neigh", "show").splitlines():
            f = line.split()
            if not f or f[-1] in ("PERMANENT", "NOARP"):
                continue
            if "lladdr" in f:
                addr, dev, mac = f[0], f[f.index("dev") + 1], f[f.index("lladdr") + 1]
                sh(*pre, "neigh", "replace", addr, "lladdr", mac, "nud", "permanent", "dev", dev)
                saved["made_permanent"].append((pre, addr, dev))
            else:
                sh(*pre, "neigh", "del", f[0], "dev", f[f.index("dev") + 1], check=False)
    return saved


def give_back_the_table(saved):
    for name, value in saved["sysctl"].items():
        sh("sysctl", "-qw", f"{name}={value}")
    for pre, addr, dev in saved["made_permanent"]:
        sh(*pre, "neigh", "del", addr, "dev", dev, check=False)


def arp_cache():
    """/proc/net/stat/arp_cache's counters summed over the CPUs (entries is the table's, once)."""
    head, *rows = sh("cat", "/proc/net/stat/arp_cache").splitlines()
    names = head.split()
    sums = {n: 0 for n in names[1:]}
    for row in rows:
        for n, v in zip(names[1:], row.split()[1:]):
            sums[n] += int(v, 16)
    return sums


# TCP listeners on the host's ports, any address, listen(128), held until killed
LISTENER = """
import json, socket, sys, time
socks = []
for port in json.loads(sys.argv[1]):
    s = socket.socket()
    s.bind(("0.0.0.0", port))
    s.listen(128)
    socks.append(s)
print("ready", flush=True)
time.sleep(3600)
"""

TRACED = ("skb/kfree_skb", "neigh/neigh_create", "neigh/neigh_cleanup_and_release")


def table_event(line):
    """An entry made (or refused) or removed, from its neigh tracepoint: the event and the
    fields that say which entry and how many the collection counted."""
    event, body = re.search(r" (neigh_create|neigh_cleanup_and_release): (.*)$", line).groups()
    words = body.split()
    f = dict(zip(words[::2], words[1::2]))
    keep = ("dev", "primary_key4", "entries", "created", "gc_exempt", "nud_state")
    return " ".join([event] + [f"{k} {f[k]}" for k in keep if k in f])


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def arp_reply(req, mac):
    """The reply a peer owning the requested address sends back to the asker."""
    sha, sip, tip = req[22:28], req[28:32], req[38:42]
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + tip + sha + sip
    return sha + mac + b"\x08\x06" + arp + bytes(60 - 14 - len(arp))


def wire(case, host_mac):
    """Runs in the wire namespace: sends, answers, records."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("w0", 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # a frame's time is the kernel's, not the loop's
    answers = {ip: dict(a, left=a.get("count", 1 << 30)) for ip, a in case.get("answer", {}).items()}
    todo = sorted(((f["t"], bytes.fromhex(f["frame"]), True) for f in case["frames"]), key=lambda x: x[0])
    todo += [(t, "snapshot", False) for t in case.get("snapshots", [])]
    todo.sort(key=lambda x: x[0])
    start = time.monotonic()
    start_real = time.time() - (time.monotonic() - start)
    sent, neigh, stats, tc, sent_in = [], [], [], [], []
    end = case["end"]
    while True:
        now = time.monotonic() - start
        if todo and todo[0][0] <= now:
            t, what, from_case = todo.pop(0)
            if what == "snapshot":
                if "qdisc" in case:  # first: the qdisc moves fastest
                    out = subprocess.run(["ip", "netns", "exec", HOST, "tc", "-s", "qdisc", "show", "dev",
                                          case["interface"]["name"]], capture_output=True, text=True).stdout
                    tc.append({"t": t, "lines": [l.rstrip() for l in out.splitlines() if l.strip()],
                               "done": round(time.monotonic() - start, 6)})
                for opts, into in (([], neigh), (["-s"], stats)):
                    out = subprocess.run(["ip", "-n", HOST, *opts, "neigh", "show", "dev", case["interface"]["name"]],
                                         capture_output=True, text=True).stdout
                    into.append({"t": t, "lines": [l for l in out.splitlines() if l.strip()]})
            else:
                s.send(what)
                if from_case:
                    sent_in.append(round(time.monotonic() - start, 6))
            continue
        if now >= end:
            break
        wait = min([end - now] + [todo[0][0] - now] if todo else [end - now])
        r, _, _ = select.select([s], [], [], max(0, wait))
        if not r:
            continue
        data, anc, _, addr = s.recvmsg(65535, 64)
        sec, nsec = next(struct.unpack("qq", d[:16]) for lvl, typ, d in anc if typ == SO_TIMESTAMPNS)
        t = sec + nsec / 1e9 - start_real
        if addr[2] == PACKET_OUTGOING or data[6:12] != host_mac:
            continue
        sent.append({"t": round(t, 6), "frame": data.hex()})
        if data[12:14] == b"\x08\x06" and data[20:22] == b"\x00\x01":
            tip = socket.inet_ntoa(data[38:42])
            a = answers.get(tip)
            if a and a["left"] > 0:
                a["left"] -= 1
                when = t + a.get("delay", 0)
                todo.append((when, arp_reply(data, mac_bytes(a["mac"])), False))
                todo.sort(key=lambda x: x[0])
    out = {"sent": sent, "neigh": neigh, "stats": stats}
    if "qdisc" in case:
        out.update({"tc": tc, "in": sent_in})
    print(json.dumps(out))


def counters():
    """The host's nonzero Ip, Icmp and IcmpMsg counters from /proc/net/snmp."""
    lines = sh("cat", "/proc/net/snmp", ns=HOST).splitlines()
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        name, *keys = head.split()
        _, *nums = vals.split()
        group = name.rstrip(":")
        if group not in ("Ip", "Icmp", "IcmpMsg"):
            continue
        out[group] = {k: int(v) for k, v in zip(keys, nums) if int(v) and k not in ("Forwarding", "DefaultTTL")}
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: neigh_oracle.py CASE.json")
    case = json.load(open(sys.argv[1]))
    saved = own_the_table(case)
    try:
        run(case)
    finally:
        give_back_the_table(saved)


def run(case):
    setup(case)
    if os.path.isdir(INSTANCE):
        os.rmdir(INSTANCE)
    os.mkdir(INSTANCE)
    try:
        for event in TRACED:
            with open(f"{INSTANCE}/events/{event}/enable", "w") as f:
                f.write("1")
        with open(f"{INSTANCE}/trace", "w") as f:
            f.write("")
        host_mac = mac_bytes(case["interface"]["mac"])
        # the listeners live as long as the run
        listeners = subprocess.Popen(["ip", "netns", "exec", HOST, "python3", "-c", LISTENER,
                                      json.dumps(case.get("listen", []))], stdout=subprocess.PIPE, text=True)
        assert listeners.stdout.readline().strip() == "ready"
        before = arp_cache()
        # the wire's CPU is where the host's softirq work for what it sends runs
        pin = ["taskset", "-c", str(case["wire_cpu"])] if "wire_cpu" in case else []
        child = subprocess.run(pin + ["ip", "netns", "exec", WIRE, "python3", __file__, "--wire", sys.argv[1],
                                      host_mac.hex()], capture_output=True, text=True)
        listeners.kill()
        listeners.wait()
        if child.returncode != 0:
            raise RuntimeError(child.stderr)
        result = json.loads(child.stdout)
        for event in TRACED:
            with open(f"{INSTANCE}/events/{event}/enable", "w") as f:
                f.write("0")
        trace = open(f"{INSTANCE}/trace").read()
        result["drops"] = [l.split("reason: ")[1].strip() for l in trace.splitlines()
                           if "reason: NEIGH_" in l or "reason: QDISC_" in l]
        result["table"] = [table_event(l) for l in trace.splitlines()
                           if re.search(r" neigh_(create|cleanup_and_release): ", l)]
        after = arp_cache()
        result["arp_cache"] = {n: after[n] - before[n] for n in after}
        result["counters"] = counters()
        result["arp"] = sh("cat", "/proc/net/arp", ns=HOST).splitlines()
        if "read" in case:
            result["sysfs"] = {path: sh("cat", path, ns=HOST) for path in case["read"]}
        print(json.dumps(result, indent=1))
    finally:
        os.rmdir(INSTANCE)
        teardown()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--wire":
        wire(json.load(open(sys.argv[2])), bytes.fromhex(sys.argv[3]))
    else:
        main()
