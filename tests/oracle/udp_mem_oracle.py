"""What net.ipv4.udp_mem and udp_rmem_min do to a UDP socket, on a real kernel: after each
datagram a client sends (and each one the socket's reader reads, where the case reads), the
socket's rx_queue (sk_rmem_alloc) and drops from /proc/net/udp, the UDP pages the host has
charged (/proc/net/sockstat "UDP: mem", less what it was at the start), and at the end the Udp
counters and the skb:kfree_skb drop reasons.

Run as root on the machine's own kernel:  python3 tests/oracle/udp_mem_oracle.py
udp_mem is one limit for the whole machine (not per namespace) and is restored afterwards.

Why a warm-up: each CPU charges UDP pages to a per-CPU reserve first and adds them to the shared
count (the one udp_mem limits, and sockstat shows) only when the reserve reaches
net.core.mem_pcpu_rsv pages (256, its minimum) — include/net/proto_memory.h:
sk_memory_allocated_add(). Another socket on the same CPU takes datagrams until that count
moves; then the CPU's reserve is exactly 0, and the socket under test starts from there. Its
udp_mem is written as that count plus the case's limits, so the case reads as if the host had
charged nothing before. The client and the reader are pinned to CPU 0: veth's __netif_rx()
queues to that CPU's backlog and the softirq that delivers runs there when the send returns.

Output (JSON): {case: {"udp_mem": [..], "udp_rmem_min": N, "payload": N, "script":
[["send" | "read", N], ...], "steps": [[rx_queue, drops, mem], ...], "snmp": {...},
"reasons": {...}}}, a step after each datagram sent or read.
"""
import json
import os
import subprocess

from replay_oracle import sh
from veth_pair import delete, neigh_resolved, veth_pair

HOST, CLIENT = "rxu_host", "rxu_client"
INSTANCE = "/sys/kernel/tracing/instances/rxpath_udpmem"
RCVBUF = 8 << 20  # SO_RCVBUFFORCE: the receive buffer never limits here (sk_rcvbuf 16 MiB)

# name: (udp_mem above the count at the start, udp_rmem_min, script, payload bytes)
CASES = {
    # every page beyond the start is over the hard limit
    "hard_limit": ([0, 0, 0], 4096, [["send", 1600]], 100),
    # above min, below max: UDP has no memory pressure state, so a socket holding udp_rmem_min
    # or more is refused anyway (__sk_mem_raise_allocated())
    "above_min": ([0, 1000, 100000], 4096, [["send", 1600]], 100),
    # the same, but udp_rmem_min guarantees 2 MiB to each socket under the hard limit
    "rmem_min_2m": ([0, 1000, 100000], 2 << 20, [["send", 3200]], 100),
    # a reader returns memory (udp_rmem_release()): in steps of a quarter of sk_rcvbuf, or when
    # it has read all it took over; the pages flow back through CPU 0's reserve. A read of more
    # than is queued stops at the empty queue.
    "reader": ([0, 0, 0], 4096, [["send", 1300], ["read", 700], ["send", 500], ["read", 1300],
                                 ["send", 300]], 100),
}

RECEIVER = f"""
import socket, sys, time
socks = []
for port in (9000, 9001):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, {RCVBUF})  # SO_RCVBUFFORCE
    s.bind(("10.1.0.2", port))
    socks.append(s)
print("ready", flush=True)
for line in sys.stdin:
    try:
        socks[0].recv(65536, socket.MSG_DONTWAIT)
        print("read", flush=True)
    except BlockingIOError:
        print("empty", flush=True)
"""

SENDER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in sys.stdin:
    port, size = map(int, line.split())
    s.sendto(b"x" * size, ("10.1.0.2", port))
    print("sent", flush=True)
"""


def setup():
    veth_pair(HOST, CLIENT)
    for ns, dev in ((HOST, "eth0"), (CLIENT, "w0")):
        sh("ethtool", "-K", dev, "gro", "off", ns=ns, check=False)
    neigh_resolved(HOST, CLIENT)


def udp_mem_pages():
    for line in open("/proc/net/sockstat"):
        if line.startswith("UDP:"):
            return int(line.split()[4])
    raise RuntimeError("no UDP line in /proc/net/sockstat")


def sock_row(pid, port):
    for line in open(f"/proc/{pid}/net/udp").read().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == port:
            return int(f[4].split(":")[1], 16), int(f[12])
    raise RuntimeError(f"port {port} not in /proc/{pid}/net/udp")


def udp_snmp(pid):
    lines = [l.split()[1:] for l in open(f"/proc/{pid}/net/snmp") if l.startswith("Udp:")]
    return dict(zip(lines[0], map(int, lines[1])))


def run(limits, rmem_min, script, payload):
    setup()
    saved = open("/proc/sys/net/ipv4/udp_mem").read().split()
    sh("sysctl", "-qw", f"net.ipv4.udp_rmem_min={rmem_min}", ns=HOST)
    receiver = subprocess.Popen(["taskset", "-c", "0", "ip", "netns", "exec", HOST, "python3", "-c", RECEIVER],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sender = subprocess.Popen(["taskset", "-c", "0", "ip", "netns", "exec", CLIENT, "python3", "-c", SENDER],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(port):
        sender.stdin.write(f"{port} {payload}\n")
        sender.stdin.flush()
        assert sender.stdout.readline().strip() == "sent"

    if os.path.isdir(INSTANCE):
        os.rmdir(INSTANCE)
    os.mkdir(INSTANCE)
    try:
        assert receiver.stdout.readline().strip() == "ready"
        pid = receiver.pid  # taskset and ip netns exec exec python: the same process
        start = udp_mem_pages()
        for _ in range(4000):  # the warm-up: until CPU 0's reserve reaches the shared count
            send(9001)
            if udp_mem_pages() != start:
                break
        else:
            raise RuntimeError("the shared UDP page count never moved")
        base = udp_mem_pages()
        open("/proc/sys/net/ipv4/udp_mem", "w").write(" ".join(str(base + x) for x in limits))
        before = udp_snmp(pid)
        open(f"{INSTANCE}/events/skb/kfree_skb/filter", "w").write("protocol == 2048")
        open(f"{INSTANCE}/events/skb/kfree_skb/enable", "w").write("1")
        open(f"{INSTANCE}/trace", "w").write("")
        steps = []
        for action, count in script:
            for _ in range(count):
                if action == "send":
                    send(9000)
                else:
                    receiver.stdin.write("read\n")
                    receiver.stdin.flush()
                    if receiver.stdout.readline().strip() == "empty":
                        break
                rx_queue, drops = sock_row(pid, 9000)
                steps.append([rx_queue, drops, udp_mem_pages() - base])
        open(f"{INSTANCE}/events/skb/kfree_skb/enable", "w").write("0")
        reasons = {}
        for line in open(f"{INSTANCE}/trace").read().splitlines():
            # other namespaces' traffic (the machine's own TCP) frees skbs too: keep UDP's
            if "kfree_skb:" in line and "reason: " in line and "udp" in line.split("location=")[1]:
                key = line.split("location=")[1].split()[0].split("+")[0] + " " + line.split("reason: ")[1].strip()
                reasons[key] = reasons.get(key, 0) + 1
        after = udp_snmp(pid)
        snmp = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    finally:
        open("/proc/sys/net/ipv4/udp_mem", "w").write(" ".join(saved))
        for p in (sender, receiver):
            p.kill()
            p.wait()
        os.rmdir(INSTANCE)
        delete(HOST, CLIENT)
    return {"udp_mem": limits, "udp_rmem_min": rmem_min, "payload": payload, "script": script, "steps": steps,
            "snmp": snmp, "reasons": reasons}


if __name__ == "__main__":
    print(json.dumps({name: run(*case) for name, case in CASES.items()}))
