#!/usr/bin/env python3
"""What a real Linux kernel's GRO makes of the frames of a pcap, as `rxpath gro --json` prints it.

Run as root on the machine's own kernel:  python3 tests/oracle/gro_oracle.py FRAMES.pcap

The reference receiver of issue 4: a veth (MTU 65535, issue 12) in its own network namespace with
GRO on, no checksum offload (rx-checksumming off, so GRO verifies TCP checksums itself) and no packet hash. All
frames must reach one NAPI poll, in order: the veth uses threaded NAPI, its thread is pinned to
CPU 0, and the sender runs on CPU 0 at SCHED_FIFO priority, so the NAPI thread cannot poll until
every frame sits in the veth's ring. A packet socket with PACKET_VNET_HDR on the receiving veth
sees what GRO handed to the stack, with gso_size.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
TX_NS, RX_NS = "rxo_tx", "rxo_rx"
TX_DEV, RX_DEV = "rxo0", "rxo1"


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def setup():
    teardown()
    sh("ip", "netns", "add", TX_NS)
    sh("ip", "netns", "add", RX_NS)
    sh("ip", "link", "add", TX_DEV, "netns", TX_NS, "type", "veth", "peer", "name", RX_DEV, "netns", RX_NS)
    for ns, dev in ((TX_NS, TX_DEV), (RX_NS, RX_DEV)):
        sh("ip", "-n", ns, "link", "set", dev, "mtu", "65535", "up")
    # veth_xmit() uses the peer's NAPI (and so GRO) only for skbs veth_skb_is_eligible_for_gro()
    # accepts: with TSO off on the sending side, all of them.
    sh("ip", "netns", "exec", TX_NS, "ethtool", "-K", TX_DEV, "tso", "off")
    sh("ip", "netns", "exec", RX_NS, "ethtool", "-K", RX_DEV, "gro", "on", "rx", "off")
    sh("ip", "netns", "exec", RX_NS, "sh", "-c", f"echo 1 > /sys/class/net/{RX_DEV}/threaded")
    time.sleep(0.2)
    pids = [line.split()[0] for line in sh("ps", "-eo", "pid,comm").splitlines() if f"napi/{RX_DEV}-" in line]
    for pid in pids:
        sh("taskset", "-p", "1", pid)
    return pids


def teardown():
    for ns in (TX_NS, RX_NS):
        sh("ip", "netns", "del", ns, check=False)


RECEIVER = f"""
import socket, sys, json, select
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons({ETH_P_ALL}))
s.setsockopt({SOL_PACKET}, {PACKET_VNET_HDR}, 1)
s.bind(("{RX_DEV}", 0))
print("ready", flush=True)
idle = 0
while idle < 10:
    r, _, _ = select.select([s], [], [], 0.05)
    if not r:
        idle += 1
        continue
    idle = 0
    data, addr = s.recvfrom(262144)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    print(data.hex(), flush=True)
"""

SENDER = f"""
import os, socket, sys
os.sched_setaffinity(0, {{0}})
os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
frames = [bytes.fromhex(l) for l in sys.stdin.read().split()]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind(("{TX_DEV}", 0))
for f in frames:
    s.send(f)
"""


def run_case(frames):
    rx = subprocess.Popen(["ip", "netns", "exec", RX_NS, "python3", "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    assert rx.stdout.readline().strip() == "ready"
    subprocess.run(["ip", "netns", "exec", TX_NS, "python3", "-c", SENDER], input="\n".join(f.hex() for f in frames), text=True, check=True)
    out = [bytes.fromhex(line.strip()) for line in rx.stdout if line.strip()]
    rx.wait()
    return out


def describe(outputs, frames):
    """Which input frames each output skb holds, with its IPv4 length, payload, segments, gso_size."""
    used = [False] * len(frames)
    lines = []
    for pkt in outputs:
        vnet, eth = pkt[:10], pkt[10:]
        if eth[12:14] != b"\x08\x00":
            continue  # the namespace's own IPv6 neighbour traffic
        gso_size = struct.unpack("<H", vnet[4:6])[0]
        ip = eth[14:]
        ihl = (ip[0] & 15) * 4
        ip_len = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        if proto == 6:
            doff = (ip[ihl + 12] >> 4) * 4
            payload = ip_len - ihl - doff
            seq = struct.unpack("!I", ip[ihl + 4:ihl + 8])[0]
        else:
            payload = ip_len - ihl - (8 if proto == 17 else 0)
            seq = None
        members = []
        # the first member: an unused input frame with the same headers up to the TCP sequence
        for i, f in enumerate(frames):
            if used[i] or f[12:14] != eth[12:14]:
                continue
            fip = f[14:]
            if fip[12:20] != ip[12:20] or fip[9] != proto or fip[ihl:ihl + 4] != ip[ihl:ihl + 4]:
                continue
            if proto == 6 and struct.unpack("!I", fip[ihl + 4:ihl + 8])[0] != seq:
                continue
            if proto != 6 and fip[:struct.unpack("!H", fip[2:4])[0]] != ip[:ip_len]:
                continue
            members.append(i)
            used[i] = True
            break
        if proto == 6 and members:
            covered = struct.unpack("!H", frames[members[0]][16:18])[0] - ihl - doff
            for i, f in enumerate(frames):
                if used[i] or covered >= payload:
                    continue
                fip = f[14:]
                if fip[12:20] != ip[12:20] or fip[9] != 6 or fip[ihl:ihl + 4] != ip[ihl:ihl + 4]:
                    continue
                fseq = struct.unpack("!I", fip[ihl + 4:ihl + 8])[0]
                if (fseq - seq) % 2**32 == covered:
                    members.append(i)
                    used[i] = True
                    covered += struct.unpack("!H", fip[2:4])[0] - ihl - ((fip[ihl + 12] >> 4) * 4)
        segs = len(members) if len(members) > 1 else 1
        lines.append({"frames": members, "ip_len": ip_len, "payload": payload, "segs": segs, "gso_size": gso_size if len(members) > 1 else 0})
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gro_oracle.py FRAMES.pcap")
    if os.geteuid() != 0:
        sys.exit("gro_oracle.py: run as root (it makes network namespaces)")
    frames = read_pcap(sys.argv[1])
    setup()
    try:
        outputs = run_case(frames)
    finally:
        teardown()
    for line in describe(outputs, frames):
        print(json.dumps(line, separators=(", ", ": ")))


if __name__ == "__main__":
    main()
