"""Where a NAPI poll runs with /sys/class/net/DEV/threaded off and on, on a real kernel: a client
sends UDP datagrams over a veth whose receiving end (eth0) has GRO on (so veth polls with NAPI),
in bursts; for each napi_poll event of eth0, which task ran it (the sender at its
local_bh_enable(), ksoftirqd, or the device's kthread napi/eth0-N), on which CPU, with what work
and budget; and whether the NET_RX softirq ran for it (softirq_entry vec=3 on that CPU just
before, in the same task).

Run as root on the machine's own kernel:  python3 tests/oracle/threaded_napi_oracle.py
The sender is pinned to CPU 0; the napi kthread is not pinned (the scheduler places it).
Also: what writing 0, 1, 2 and 3 to threaded does, and what it reads back.

Output (JSON): {"off": {...}, "on": {...}, "writes": [{write, error, reads, threads}, ...]}, in
the order written; a run is {"bursts": [N, ...],
"polls": [[task, cpu, work, budget, net_rx], ...], "threads": [comm, ...]}, task being
"sender", "ksoftirqd" or "napi/eth0-<id>".
"""
import json
import os
import re
import subprocess

from replay_oracle import sh
from veth_pair import delete, neigh_resolved, veth_pair

HOST, CLIENT = "rxn_host", "rxn_client"
INSTANCE = "/sys/kernel/tracing/instances/rxpath_threaded"
BURSTS = [1, 8, 100, 3]

SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for burst in map(int, sys.argv[1:]):
    for _ in range(burst):
        s.sendto(b"x" * 100, ("10.1.0.2", 9000))
    time.sleep(0.05)
"""

RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: no drops
s.bind(("10.1.0.2", 9000))
print("ready", flush=True)
sys.stdin.readline()
"""


def setup():
    veth_pair(HOST, CLIENT)
    sh("ethtool", "-K", "eth0", "gro", "on", ns=HOST)
    # veth_skb_is_eligible_for_gro(): a sender with TSO would bypass NAPI (netif_rx())
    sh("ethtool", "-K", "w0", "tso", "off", ns=CLIENT)
    neigh_resolved(HOST, CLIENT)


WRITE = """
import sys
try:
    with open("/sys/class/net/eth0/threaded", "w") as f:
        f.write(sys.argv[1])
    print("")
except OSError as e:
    print(e.strerror)
"""


def write_threaded(value):
    err = sh("python3", "-c", WRITE, str(value), ns=HOST).strip() or None
    return err, sh("cat", "/sys/class/net/eth0/threaded", ns=HOST).strip()


def napi_threads():
    out = subprocess.run(["ps", "-eo", "comm"], capture_output=True, text=True).stdout.split()
    return sorted(c for c in out if c.startswith("napi/eth0"))


def task_kind(comm):
    if comm.startswith("napi/eth0-"):
        return "napi/eth0-<id>"
    if comm.startswith("ksoftirqd/"):
        return "ksoftirqd"
    return "sender"


def run(threaded):
    setup()
    if threaded:
        write_threaded(1)
    receiver = subprocess.Popen(["ip", "netns", "exec", HOST, "python3", "-c", RECEIVER],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if os.path.isdir(INSTANCE):
        os.rmdir(INSTANCE)
    os.mkdir(INSTANCE)
    try:
        assert receiver.stdout.readline().strip() == "ready"
        open(f"{INSTANCE}/events/napi/napi_poll/filter", "w").write('dev_name == "eth0"')
        open(f"{INSTANCE}/events/napi/napi_poll/enable", "w").write("1")
        open(f"{INSTANCE}/events/irq/softirq_entry/filter", "w").write("vec == 3")
        open(f"{INSTANCE}/events/irq/softirq_entry/enable", "w").write("1")
        open(f"{INSTANCE}/trace", "w").write("")
        subprocess.run(["taskset", "-c", "0", "ip", "netns", "exec", CLIENT, "python3", "-c", SENDER,
                        *map(str, BURSTS)], check=True)
        open(f"{INSTANCE}/events/napi/napi_poll/enable", "w").write("0")
        open(f"{INSTANCE}/events/irq/softirq_entry/enable", "w").write("0")
        lines = open(f"{INSTANCE}/trace").read().splitlines()
        threads = [re.sub(r"-\d+$", "-<id>", c) for c in napi_threads()]
    finally:
        receiver.kill()
        receiver.wait()
        os.rmdir(INSTANCE)
        delete(HOST, CLIENT)
    polls = []
    last_net_rx = {}  # cpu -> the task whose softirq_entry vec=3 was last seen there
    for line in lines:
        m = re.match(r"\s*(.+?)-(\d+)\s+\[(\d+)\].*?: (napi_poll|softirq_entry): (.*)", line)
        if not m:
            continue
        comm, pid, cpu, event, rest = m.group(1), m.group(2), int(m.group(3)), m.group(4), m.group(5)
        if event == "softirq_entry":
            last_net_rx[cpu] = pid
            continue
        # "napi poll on napi struct %p for device %s work %d budget %d"
        work, budget = map(int, re.search(r"work (\d+) budget (\d+)", rest).groups())
        net_rx = last_net_rx.pop(cpu, None) == pid
        polls.append([task_kind(comm), cpu, work, budget, net_rx])
    return {"bursts": BURSTS, "polls": polls, "threads": threads}


def writes():
    setup()
    try:
        out = []
        for value in ("1", "0", "2", "3", "x"):
            err, now = write_threaded(value)
            out.append({"write": value, "error": err, "reads": now, "threads": len(napi_threads())})
        return out
    finally:
        delete(HOST, CLIENT)


if __name__ == "__main__":
    print(json.dumps({"off": run(False), "on": run(True), "writes": writes()}))
