"""When Linux 6.18 takes a packet's receive timestamp, by net.core.netdev_tstamp_prequeue, with RPS
sending the packets to another CPU: a client on CPU 0 sends UDP datagrams over a veth (GRO off, so
veth hands each to netif_rx()) whose receiving end eth0 steers rx-0 to CPU 1 (rps_cpus 2); the
reader asks for SO_TIMESTAMPNS. Per datagram: the receive timestamp less the time the client
called sendto(), both CLOCK_REALTIME, in ns. With 1 the stamp is taken in netif_rx_internal() on
the sending CPU, before the backlog; with 0 in __netif_receive_skb_core() on CPU 1, after the
IPI and the backlog — later by the cross-CPU hand-off.

Run as root on the machine's own kernel:  python3 tests/oracle/tstamp_prequeue_oracle.py
The sysctl is global (net_hotdata); it is restored afterwards.
Output (JSON): {"1": [ns, ...], "0": [ns, ...]}.
"""
import json
import subprocess

from replay_oracle import sh
from veth_pair import delete, neigh_resolved, veth_pair

HOST, CLIENT = "rxt_host", "rxt_client"
COUNT = 200

RECEIVER = f"""
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
s.bind(("10.1.0.2", 9000))
print("ready", flush=True)
stamps = []
for _ in range({COUNT}):
    data, anc, _, _ = s.recvmsg(2048, 64)
    sec, nsec = struct.unpack("qq", anc[0][2][:16])
    stamps.append((int(data.decode()), sec * 10**9 + nsec))
print(" ".join(f"{{a}}:{{b}}" for a, b in stamps), flush=True)
"""

SENDER = f"""
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range({COUNT}):
    time.sleep(0.002)
    s.sendto(str(time.time_ns()).encode(), ("10.1.0.2", 9000))
"""


def setup():
    veth_pair(HOST, CLIENT)
    sh("ethtool", "-K", "eth0", "gro", "off", ns=HOST, check=False)
    sh("sh", "-c", "echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus", ns=HOST)
    neigh_resolved(HOST, CLIENT)


def run(prequeue):
    setup()
    saved = open("/proc/sys/net/core/netdev_tstamp_prequeue").read().strip()
    open("/proc/sys/net/core/netdev_tstamp_prequeue", "w").write(str(prequeue))
    try:
        receiver = subprocess.Popen(["taskset", "-c", "1", "ip", "netns", "exec", HOST, "python3", "-c", RECEIVER],
                                    stdout=subprocess.PIPE, text=True)
        assert receiver.stdout.readline().strip() == "ready"
        subprocess.run(["taskset", "-c", "0", "ip", "netns", "exec", CLIENT, "python3", "-c", SENDER], check=True)
        pairs = receiver.stdout.readline().split()
        receiver.wait()
    finally:
        open("/proc/sys/net/core/netdev_tstamp_prequeue", "w").write(saved)
        delete(HOST, CLIENT)
    return [int(b) - int(a) for a, b in (p.split(":") for p in pairs)]


if __name__ == "__main__":
    print(json.dumps({"1": run(1), "0": run(0)}))
