"""What early demux saves a TCP connection on a real kernel: the input route lookups
(fib_table_lookup events) of each segment a client sends to a listener on the host — the SYN,
the handshake's ACK, then data segments — with net.ipv4.tcp_early_demux on and off.

Run as root on the machine's own kernel:  python3 tests/oracle/tcp_early_demux_oracle.py
The host is a namespace with eth0 (10.1.0.2/24, a veth); its peer w0 (10.1.0.7/24) is in a
client namespace. Output (JSON): {"on": [N, ...], "off": [N, ...]}: per segment the client sent,
in order, how many fib_table_lookup events the host's input routing of it made.
"""
import json
import os
import subprocess

from replay_oracle import sh
from veth_pair import delete, veth_pair

HOST, CLIENT = "rxe_host", "rxe_client"
INSTANCE = "/sys/kernel/tracing/instances/rxpath_edemux"


def setup(early_demux):
    veth_pair(HOST, CLIENT)
    sh("ip", "link", "set", "lo", "up", ns=HOST)
    sh("sysctl", "-qw", f"net.ipv4.tcp_early_demux={early_demux}", ns=HOST)
    sh("ethtool", "-K", "eth0", "gro", "off", ns=HOST, check=False)


SERVER = """
import socket, sys
s = socket.socket(); s.bind(("10.1.0.2", 80)); s.listen(8)
print("ready", flush=True)
c, _ = s.accept()
while c.recv(100):
    pass
"""

CLIENT_CODE = """
import socket, time
c = socket.socket(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.connect(("10.1.0.2", 80))
for i in range(3):
    time.sleep(0.3)
    c.send(b"x" * 10)
    print("sent", flush=True)
time.sleep(0.3)
"""


def run(early_demux):
    setup(early_demux)
    if os.path.isdir(INSTANCE):
        os.rmdir(INSTANCE)
    os.mkdir(INSTANCE)
    try:
        open(f"{INSTANCE}/events/fib/fib_table_lookup/enable", "w").write("1")
        open(f"{INSTANCE}/events/net/netif_receive_skb/enable", "w").write("1")
        open(f"{INSTANCE}/trace", "w").write("")
        server = subprocess.Popen(["ip", "netns", "exec", HOST, "python3", "-c", SERVER], stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == "ready"
        subprocess.run(["ip", "netns", "exec", CLIENT, "python3", "-c", CLIENT_CODE], check=True, capture_output=True)
        server.kill()
        open(f"{INSTANCE}/events/fib/fib_table_lookup/enable", "w").write("0")
        open(f"{INSTANCE}/events/net/netif_receive_skb/enable", "w").write("0")
        lines = open(f"{INSTANCE}/trace").read().splitlines()
    finally:
        os.rmdir(INSTANCE)
        delete(HOST, CLIENT)
    # each segment arriving at eth0 (netif_receive_skb dev=eth0), then the host's input lookups
    # for it: iif 2 (eth0), 10.1.0.7 -> 10.1.0.2
    counts = []
    for line in lines:
        if "netif_receive_skb: dev=eth0" in line:
            counts.append(0)
        elif "fib_table_lookup:" in line and counts and " iif 2 " in line and "10.1.0.7/0 -> 10.1.0.2/0" in line:
            counts[-1] += 1
    return counts


if __name__ == "__main__":
    print(json.dumps({"on": run(1), "off": run(0)}))
