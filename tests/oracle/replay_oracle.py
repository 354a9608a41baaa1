#!/usr/bin/env python3
"""What a real Linux kernel does with each frame of a pcap on a host set up from a scenario
(shared/scenario-format.md), printed as `rxpath replay --json` prints it.

Run as root on the machine's own kernel:  python3 tests/oracle/replay_oracle.py SCENARIO.json FRAMES.pcap

The host is a network namespace; each scenario interface is one end of a veth pair whose other
end sits in a "wire" namespace. Frames are injected one at a time on the ingress peer, each
handled before the next. A frame's fate comes from what the kernel shows: a forward is a frame
leaving another interface, a delivery is a socket's receive queue growing (/proc/net/udp) or a
listener answering, a drop is the skb:kfree_skb tracepoint's reason, a reply is what comes back
out of the ingress interface. Counters are the namespace's /proc/net/snmp; rule counters come
from iptables -L -v -x. Not handled yet: IP fragments held for reassembly.
"""
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys
import time

HOST, WIRE = "rxr_host", "rxr_wire"
TRACE = "/sys/kernel/tracing"
ETH_P_ALL = 0x0003


def sh(*args, check=True, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def read_pcap(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    frames, stamps, off = [], [], 24
    while off + 16 <= len(data):
        sec, frac, caplen = struct.unpack(endian + "III", data[off:off + 12])
        frames.append(data[off + 16:off + 16 + caplen])
        stamps.append(sec + frac / (1e9 if nano else 1e6))
        off += 16 + caplen
    return frames, [t - stamps[0] for t in stamps] if stamps else []


def teardown():
    for ns in (HOST, WIRE):
        sh("ip", "netns", "del", ns, check=False)


# sysctls only the initial namespace has, for the whole machine: set there, put back after.
# net.core's are all init_net's but four (net/core/sysctl_net_core.c: netns_core_table), and of
# those sysctl_core_net_init() makes rmem_*/wmem_* read-only in any other namespace.
NETNS_CORE = ("net.core.somaxconn", "net.core.optmem_max", "net.core.txrehash", "net.core.rps_default_mask")
MACHINE_WIDE = ("net.ipv4.neigh.default.gc_", "net.core.")


def machine_wide(name):
    return name.startswith(MACHINE_WIDE) and name not in NETNS_CORE


def set_machine_wide(s):
    saved = {}
    for name, value in s.get("sysctl", {}).items():
        if machine_wide(name):
            saved[name] = sh("sysctl", "-n", name).strip()
            sh("sysctl", "-qw", f"{name}={value}")
    return saved


def put_back(saved):
    for name, value in saved.items():
        sh("sysctl", "-qw", f"{name}={value}")


def setup(s, frames):
    teardown()
    sh("ip", "netns", "add", HOST)
    sh("ip", "netns", "add", WIRE)
    for ns in (HOST, WIRE):  # no IPv6 chatter on the links
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
    sh("ip", "link", "set", "lo", "up", ns=HOST)
    for i, itf in enumerate(s["interfaces"]):
        peer = f"w{i}"
        sh("ip", "link", "add", itf["name"], "netns", HOST, "type", "veth", "peer", "name", peer, "netns", WIRE)
        sh("ip", "link", "set", itf["name"], "address", itf["mac"], "mtu", str(itf["mtu"]), "up", ns=HOST)
        sh("ip", "link", "set", peer, "mtu", str(itf["mtu"]), "up", ns=WIRE)
        # no offloads: the reference host's frames come as from a veth peer, CHECKSUM_NONE
        sh("ethtool", "-K", itf["name"], "rx", "off", "gro", "off", ns=HOST, check=False)
        for a in itf["addrs"]:
            sh("ip", "addr", "add", a, "dev", itf["name"], ns=HOST)
        if "txqueuelen" in itf:
            sh("ip", "link", "set", itf["name"], "txqueuelen", str(itf["txqueuelen"]), ns=HOST)
        if "qdisc" in itf:
            sh("tc", "qdisc", "replace", "dev", itf["name"], "root", *itf["qdisc"].split(), ns=HOST)
    for r in s.get("routes", []):
        args = ["ip", "route", "add", r["dst"]] + (["via", r["via"]] if "via" in r else []) + ["dev", r["dev"]]
        sh(*args, ns=HOST)
    # Next hops and on-link peers are resolved already: permanent neighbour entries, each with the
    # MAC the kit gives a peer it takes as resolved (02:fe and the IPv4 address) — unless the
    # scenario has the host resolve with ARP. Its own entries come last, replacing any.
    neighbours = s.get("neighbours", {})
    peers = {r["via"]: r["dev"] for r in s.get("routes", []) if "via" in r}
    nets = [(ipaddress.ip_interface(a), itf["name"]) for itf in s["interfaces"] for a in itf["addrs"]]
    # a frame's source is a peer only where one can be: not a broadcast, network, multicast or
    # zero address, which no neighbour entry stands for (arp_constructor() gives those NOARP)
    not_peers = {ipaddress.ip_address("255.255.255.255")}
    for itf, _ in nets:
        not_peers |= {itf.network.broadcast_address, itf.network.network_address}

    def peer(a):
        return not (a in not_peers or a.is_multicast or a.is_unspecified)
    for f in frames:
        if len(f) >= 42 and f[12:14] == b"\x08\x06" and any(f[28:32]):  # an ARP sender
            peers.setdefault(socket.inet_ntoa(f[28:32]), s["ingress"])
        if len(f) >= 34 and f[12:14] == b"\x08\x00" and peer(ipaddress.ip_address(f[26:30])):
            # an on-link source is a peer on the link of its subnet, whatever it came in by
            src = ipaddress.ip_address(f[26:30])
            link = next((dev for itf, dev in nets if src in itf.network), s["ingress"])
            peers.setdefault(str(src), link)
            dst = ipaddress.ip_address(f[30:34])
            for itf, dev in nets:  # an on-link destination of a forward
                if dst in itf.network and dst not in (itf.ip, itf.network.broadcast_address):
                    peers.setdefault(str(dst), dev)
    for ip, dev in [] if neighbours.get("arp") else sorted(peers.items()):
        mac = "02:fe:" + ":".join(f"{int(b):02x}" for b in ip.split("."))
        sh("ip", "neigh", "replace", ip, "lladdr", mac, "nud", "permanent", "dev", dev, ns=HOST, check=False)
    for e in neighbours.get("entries", []):
        sh("ip", "neigh", "replace", e["addr"], "lladdr", e["mac"], "nud", e.get("state", "permanent"),
           "dev", e["dev"], ns=HOST)
    for name, value in s.get("sysctl", {}).items():
        if machine_wide(name):
            continue
        if sh("sysctl", "-w", f"{name}={value}", ns=HOST).strip() != f"{name} = {value}":
            raise RuntimeError(f"sysctl {name}={value} did not take in the namespace")
    for rule in s.get("filter", []):
        args = ["iptables", "-A", rule["chain"]]
        if "proto" in rule:
            args += ["-p", str(rule["proto"])]
        if "src" in rule:
            args += ["-s", rule["src"]]
        if "dst" in rule:
            args += ["-d", rule["dst"]]
        if "sport" in rule:
            args += ["--sport", str(rule["sport"])]
        if "dport" in rule:
            args += ["--dport", str(rule["dport"])]
        if "in" in rule:
            args += ["-i", rule["in"]]
        sh(*args, "-j", rule["target"], ns=HOST)
    for chain, target in s.get("policies", {}).items():
        sh("iptables", "-P", chain, target, ns=HOST)


SOCKETS = r"""
import json, os, socket, sys, time
specs = json.loads(sys.argv[1])
keep = []
for sp in specs:
    kind = socket.SOCK_DGRAM if sp["proto"] == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if "rcvbuf" in sp:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, sp["rcvbuf"])
    a, p = sp["local"].rsplit(":", 1)
    s.bind((a, int(p)))
    if sp["proto"] == "tcp":
        s.listen(128)
    elif "remote" in sp:
        ra, rp = sp["remote"].rsplit(":", 1)
        s.connect((ra, int(rp)))
    keep.append(s)
print(" ".join(str(os.fstat(s.fileno()).st_ino) for s in keep), flush=True)
sys.stdin.read()
"""


def udp_table():
    """inode -> (rx_queue, drops) from /proc/net/udp in the host namespace."""
    out = {}
    for line in sh("cat", "/proc/net/udp", ns=HOST).splitlines()[1:]:
        f = line.split()
        rxq = int(f[4].split(":")[1], 16)
        out[f[9]] = (rxq, int(f[-1]))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: replay_oracle.py SCENARIO.json FRAMES.pcap")
    s = json.load(open(sys.argv[1]))
    frames, stamps = read_pcap(sys.argv[2])
    saved = set_machine_wide(s)
    try:
        setup(s, frames)
        replay(s, frames, stamps)
    finally:
        teardown()
        put_back(saved)


def replay(s, frames, stamps):
    socks = subprocess.Popen(["ip", "netns", "exec", HOST, "python3", "-c", SOCKETS, json.dumps(s.get("sockets", []))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    keys = socks.stdout.readline().split()
    if len(keys) != len(s.get("sockets", [])):  # a bind the kernel refused, say
        raise RuntimeError("the sockets could not all be made: " + socks.stderr.read())
    sniff = {}
    for i, itf in enumerate(s["interfaces"]):
        p = subprocess.Popen(["ip", "netns", "exec", WIRE, "python3", "-c", SNIFFER, f"w{i}"], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        sniff[itf["name"]] = p
    ingress_peer = "w%d" % [i for i, itf in enumerate(s["interfaces"]) if itf["name"] == s["ingress"]][0]
    open(f"{TRACE}/events/skb/kfree_skb/enable", "w").write("1")
    open(f"{TRACE}/events/net/netif_receive_skb/enable", "w").write("1")
    results = []
    # what the trace held when it was cleared for frame n: frame n - 1's window and what came
    # after it, such as a reassembly queue expiring between frames
    gaps = []
    time.sleep(0.3)
    start = time.time()
    for n, f in enumerate(frames):
        # frames go at their capture times (relative to the first), never sooner than the
        # previous one is done with
        time.sleep(max(0.0, start + stamps[n] - time.time()))
        gaps.append(open(f"{TRACE}/trace").read())
        open(f"{TRACE}/trace", "w").write("")
        before = udp_table()
        t0 = time.time()
        subprocess.run(["ip", "netns", "exec", WIRE, "python3", "-c", SENDER, ingress_peer], input=f.hex(), text=True, check=True)
        time.sleep(0.15)
        after = udp_table()
        trace = open(f"{TRACE}/trace").read()
        results.append((t0, time.time(), before, after, trace))
    late = ""
    gaps.append(open(f"{TRACE}/trace").read())
    if any(frag_key(f) for f in frames):
        # fragments may still be queued: wait out the reassembly timer (ip_expire), whose
        # drops and ICMP time exceeded come late
        open(f"{TRACE}/trace", "w").write("")
        time.sleep(33)  # ipfrag_time (30 s) and its timer-wheel slack (2.048 s at HZ 250)
        late = open(f"{TRACE}/trace").read()
    lines, addrs = describe(s, results, keys, {name: drain(p) for name, p in sniff.items()}, frames)
    for l in lines:
        if l.get("fate") == "held":
            # freed after its own window: between later frames, or after the last
            freed = kfree_reasons("".join(gaps[l["frame"] + 1:]) + late)
            reason = next((r for a, r in freed if a == addrs[l["frame"]]), "?")
            l.update({"fate": "dropped", "reason": reason})
    open(f"{TRACE}/events/skb/kfree_skb/enable", "w").write("0")
    open(f"{TRACE}/events/net/netif_receive_skb/enable", "w").write("0")
    for line in lines:
        print(json.dumps(line, separators=(", ", ": ")))
    views = os.environ.get("RXR_VIEWS")
    if views:  # the host's own views after the replay, for the kit's renderings to match
        for name, cmd in {"ip_route_local.txt": ["ip", "route", "show", "table", "local"],
                          "ip_route_main.txt": ["ip", "route", "show", "table", "main"],
                          "proc_net_snmp.txt": ["cat", "/proc/net/snmp"],
                          "proc_net_udp.txt": ["cat", "/proc/net/udp"],
                          "iptables_filter.txt": ["iptables", "-L", "-v", "-x", "-n"],
                          "proc_net_dev.txt": ["cat", "/proc/net/dev"],
                          "ip_s_s_link.txt": ["ip", "-s", "-s", "link", "show"],
                          "netstat_s.txt": ["netstat", "-s"],
                          "ss_uam.txt": ["ss", "-u", "-a", "-m"],
                          "sys_class_net_eth0_statistics.txt": ["grep", "-r", ".", "/sys/class/net/eth0/statistics"],
                          }.items():
            open(os.path.join(views, name), "w").write(sh(*cmd, ns=HOST))
    print(json.dumps({"summary": True, "counters": snmp(), "rules": rule_counters(s)}, separators=(", ", ": ")))
    socks.stdin.close()


# The wire side only watches: a tcx ingress program (r0 = TC_ACT_SHOT; exit) drops everything
# after the packet socket taps, so the wire's own drops read TC_INGRESS and are told apart.
SNIFFER = r"""
import ctypes, os, select, socket, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(321, cmd, buf, 128)  # __NR_bpf on x86-64
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r
insns = ctypes.create_string_buffer(struct.pack("<BBhiBBhi", 0xb7, 0, 0, 2, 0x95, 0, 0, 0))
lic = ctypes.create_string_buffer(b"GPL")
# BPF_PROG_LOAD of a BPF_PROG_TYPE_SCHED_CLS, then BPF_LINK_CREATE at BPF_TCX_INGRESS (46)
prog = bpf(5, struct.pack("<IIQQIIQII16sII", 3, 2, ctypes.addressof(insns), ctypes.addressof(lic),
                          0, 0, 0, 0, 0, b"wire_drop", 0, 46))
link = bpf(28, struct.pack("<IIII", prog, socket.if_nametoindex(sys.argv[1]), 46, 0))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
print("ready", flush=True)
while True:
    r, _, _ = select.select([s], [], [], 60)
    if not r:
        break
    data, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    print("%.6f %s" % (time.time(), data.hex()), flush=True)
"""

SENDER = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((sys.argv[1], 0))
s.send(bytes.fromhex(sys.stdin.read().strip()))
"""


def drain(p):
    p.kill()
    out = p.stdout.read().split("\n")
    return [(float(l.split()[0]), bytes.fromhex(l.split()[1])) for l in out if l.strip()]


def reply_name(pkt):
    ip = pkt[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] == 1:
        t, c = ip[ihl], ip[ihl + 1]
        names = {(0, None): "echo-reply", (3, 0): "net-unreachable", (3, 1): "host-unreachable",
                 (3, 2): "protocol-unreachable", (3, 3): "port-unreachable", (3, 4): "frag-needed",
                 (3, 13): "admin-prohibited", (12, None): "parameter-problem", (5, None): "redirect", (14, None): "timestamp-reply",
                 (11, 0): "time-exceeded", (11, 1): "time-exceeded"}
        return "icmp " + names.get((t, None if t in (0, 5, 12, 14) else c), f"type-{t}")
    if ip[9] == 6:
        flags = ip[ihl + 13]
        if flags & 0x04:
            return "tcp rst"
        if flags & 0x12 == 0x12:
            return "tcp syn-ack"
        return "tcp"
    return f"proto {ip[9]}"


def snmp():
    """The non-zero fields of the host namespace's /proc/net/snmp, UdpLite left out."""
    rows = [l.split() for l in sh("cat", "/proc/net/snmp", ns=HOST).splitlines()]
    out = {}
    for names, values in zip(rows[0::2], rows[1::2]):
        group = names[0].rstrip(":")
        if group == "UdpLite":
            continue
        out[group] = {k: int(v) for k, v in zip(names[1:], values[1:]) if int(v) != 0}
    return out


def rule_counters(s):
    """pkts and bytes of each scenario rule, from iptables -L -v -x -n, in the scenario's order."""
    per_chain = {}
    for chain in ("INPUT", "FORWARD", "OUTPUT"):
        lines = sh("iptables", "-L", chain, "-v", "-x", "-n", ns=HOST).splitlines()[2:]
        per_chain[chain] = [(int(l.split()[0]), int(l.split()[1])) for l in lines if l.strip()]
    seen = {c: 0 for c in per_chain}
    out = []
    for rule in s.get("filter", []):
        pkts, nbytes = per_chain[rule["chain"]][seen[rule["chain"]]]
        seen[rule["chain"]] += 1
        out.append({"pkts": pkts, "bytes": nbytes})
    return out


def answers(reply, f):
    """True when an IPv4 packet the host sent answers frame f: an ICMP error quoting it, an echo
    reply to it, or a TCP segment back to its ports (not a SYN-ACK retransmitted for another)."""
    if len(f) < 34 or reply[30:34] != f[26:30]:
        return False
    ihl = (reply[14] & 15) * 4
    body = reply[14 + ihl:]
    if reply[23] == 1 and body[0] in (3, 4, 5, 11, 12):
        return body[8 + 12:8 + 20] == f[26:34] and body[8 + 4:8 + 6] == f[18:20]
    fihl = (f[14] & 15) * 4
    if reply[23] == 1:
        return f[23] == 1 and body[4:8] == f[14 + fihl + 4:14 + fihl + 8]
    if reply[23] == 6:
        return f[23] == 6 and body[0:2] == f[14 + fihl + 2:14 + fihl + 4] and body[2:4] == f[14 + fihl:14 + fihl + 2]
    return True


def tcp_listener(s, f):
    """The listener a SYN-ACK came from: the scenario's TCP socket on the frame's port, bound to
    its destination address before one bound to any (as __inet_lookup_listener() scores them)."""
    ihl = (f[14] & 15) * 4
    dport = struct.unpack("!H", f[14 + ihl + 2:14 + ihl + 4])[0]
    daddr = socket.inet_ntoa(f[30:34])
    tcp = [(i, sp["local"].rsplit(":", 1)) for i, sp in enumerate(s.get("sockets", [])) if sp["proto"] == "tcp"]
    for want in (daddr, "0.0.0.0"):
        for i, (a, p) in tcp:
            if int(p) == dport and a == want:
                return i
    return None


def frag_key(f):
    """(saddr, daddr, id, proto) of an IPv4 fragment, or None."""
    if len(f) < 34 or f[12:14] != b"\x08\x00":
        return None
    if struct.unpack("!H", f[20:22])[0] & 0x3fff == 0:
        return None
    return (f[26:30], f[30:34], f[18:20], f[23])


def kfree_reasons(trace):
    """(skbaddr, reason) of every skb:kfree_skb line, the wire side's TC_INGRESS left out."""
    out = []
    for l in trace.splitlines():
        if "kfree_skb:" in l and "reason: " in l:
            reason = l.split("reason: ")[1].strip()
            if reason != "TC_INGRESS":
                out.append((l.split("skbaddr=")[1].split()[0], reason))
    return out


def frame_skb(trace, dev):
    """The address of the skb the frame became on the host's ingress (net:netif_receive_skb)."""
    for l in trace.splitlines():
        if "netif_receive_skb:" in l and f"dev={dev} " in l:
            return l.split("skbaddr=")[1].split()[0]
    return None


def describe(s, results, keys, seen, frames):
    """Each frame's line, and the address of its skb (to find its fate in later traces). A drop is
    the skb:kfree_skb of the frame's own skb, so that the drop of a reply (by an OUTPUT rule, say)
    is not taken for the frame's."""
    lines, addrs = [], []
    for n, (t0, t1, before, after, trace) in enumerate(results):
        win = {name: [p for t, p in pkts if t0 <= t <= t1 and p[12:14] == b"\x08\x00"] for name, pkts in seen.items()}
        line = {"frame": n}
        f = frames[n]
        # A forward carries the frame's own addresses (out of any interface, the ingress too);
        # a reply is addressed to the frame's source and answers this frame, not an earlier one,
        # and leaves by whichever interface the route back names.
        fwd = lambda p: len(f) >= 34 and p[26:34] == f[26:34]
        out_dev = next((name for name, pkts in win.items() if any(fwd(p) for p in pkts)), None)
        sent = sorted((t, p) for pkts in seen.values() for t, p in pkts
                      if t0 <= t <= t1 and p[12:14] == b"\x08\x00" and not fwd(p) and answers(p, f))
        grew = [i for i, k in enumerate(keys) if after.get(k, (0, 0))[0] > before.get(k, (0, 0))[0]]
        dropped_at = [i for i, k in enumerate(keys) if after.get(k, (0, 0))[1] > before.get(k, (0, 0))[1]]
        freed = kfree_reasons(trace)
        addr = frame_skb(trace, s["ingress"])
        addrs.append(addr)
        own = [r for a, r in freed if a == addr] if addr else [r for _, r in freed[:1]]
        replies = [reply_name(p) for _, p in sent]
        if out_dev:
            line.update({"fate": "forwarded", "dev": out_dev})
        elif grew:
            line.update({"fate": "delivered", "socket": grew[0]})
        elif own or dropped_at:
            line.update({"fate": "dropped", "reason": own[0] if own else "SOCKET_RCVBUFF"})
        elif frag_key(frames[n]) and not replies:
            line["fate"] = "held"  # queued for reassembly: takes the datagram's fate later
        else:
            listener = tcp_listener(s, frames[n])
            line.update({"fate": "delivered", "socket": listener if "tcp syn-ack" in replies else None})
        if replies:
            line["reply"] = replies[0]
        if frag_key(frames[n]) and line["fate"] != "held":
            # Held fragments of the same datagram take the fate of the datagram they end up in.
            held = [(prev, addrs[m]) for m, prev in enumerate(lines)
                    if prev["fate"] == "held" and frag_key(frames[m]) == frag_key(frames[n])]
            if line.get("reason") == "DUP_FRAG":
                pass  # a duplicate is dropped alone; the queue keeps waiting
            elif line.get("reason") == "NOT_SPECIFIED":
                # an overlap killed the queue; its held fragments were purged — with consume_skb()
                # unless the trace shows them dropped
                for prev, addr in held:
                    reason = next((r for a, r in freed if a == addr), None)
                    prev.update({"fate": "dropped", "reason": reason} if reason else {"fate": "delivered", "socket": None})
            else:  # the datagram completed: its fate is every fragment's
                for prev, _ in held:
                    prev.update({k: v for k, v in line.items() if k not in ("frame", "reply")})
        lines.append(line)
    # What came after the last frame's window (ip_expire's time exceeded) answers the first frame
    # it quotes that has no reply yet, one still held for reassembly before any other: the queue
    # that expired is one of theirs, while a frame of an earlier datagram with the same ID and
    # addresses completed
    end = results[-1][1] if results else 0
    for t, p in sorted((t, p) for pkts in seen.values() for t, p in pkts if t > end and p[12:14] == b"\x08\x00"):
        quoted = [n for n, line in enumerate(lines) if "reply" not in line and answers(p, frames[n])]
        held = [n for n in quoted if lines[n]["fate"] == "held"]
        if held or quoted:
            lines[(held or quoted)[0]]["reply"] = reply_name(p)
    return lines, addrs


if __name__ == "__main__":
    main()
