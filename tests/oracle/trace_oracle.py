#!/usr/bin/env python3
"""The tracepoint events a real Linux kernel emits for each frame of a pcap on a host set up from
a scenario (shared/scenario-format.md), in the text trace_pipe prints.

Run as root on the machine's own kernel:  python3 tests/oracle/trace_oracle.py SCENARIO.json FRAMES.pcap

The host is set up as replay_oracle.py sets it up (veth pairs into a "wire" namespace,
iptables-nft, sockets with SO_REUSEADDR). Events are recorded in a private tracefs instance,
filtered to the one task that sends the frames: on a veth the whole receive path runs in the
sender's context (veth_xmit -> netif_rx -> the backlog NAPI at local_bh_enable), so its events are
the frame's, and nothing else on the machine is. Output: per frame a line `# frame N`, then the
events in the kernel's order, each line as trace_pipe shows it (TASK-PID [CPU] FLAGS SECONDS:
EVENT: BODY).
"""
import json
import os
import subprocess
import sys
import time

import replay_oracle as ro

# The events of issue 11, as the kernel names them (system/event); missing ones are skipped.
EVENTS = [
    "irq/softirq_raise", "irq/softirq_entry", "irq/softirq_exit",
    "net/netif_rx", "net/netif_receive_skb", "net/net_dev_queue", "net/net_dev_start_xmit",
    "net/net_dev_xmit", "napi/napi_poll", "fib/fib_table_lookup", "icmp/icmp_send",
    "skb/kfree_skb", "skb/consume_skb", "sock/sock_rcvqueue_full", "udp/udp_fail_queue_rcv_skb",
    "tcp/tcp_send_reset", "tcp/tcp_receive_reset", "tcp/tcp_retransmit_synack",
    "qdisc/qdisc_dequeue", "qdisc/qdisc_enqueue", "neigh/neigh_update", "neigh/neigh_create", "neigh/neigh_update_done",
    "neigh/neigh_event_send_done",
]
INSTANCE = f"{ro.TRACE}/instances/rxpath_trace"

# One sender for every frame, so one PID to filter on: a hex frame per line in, "sent" out.
SENDER = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((sys.argv[1], 0))
print("ready", flush=True)
for line in sys.stdin:
    s.send(bytes.fromhex(line.strip()))
    print("sent", flush=True)
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def events(trace):
    return [l for l in trace.splitlines() if l.strip() and not l.startswith("#")]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: trace_oracle.py SCENARIO.json FRAMES.pcap")
    s = json.load(open(sys.argv[1]))
    frames, stamps = ro.read_pcap(sys.argv[2])
    ro.setup(s, frames)
    if os.path.isdir(INSTANCE):
        os.rmdir(INSTANCE)
    os.mkdir(INSTANCE)
    try:
        socks = subprocess.Popen(["ip", "netns", "exec", ro.HOST, "python3", "-c", ro.SOCKETS, json.dumps(s.get("sockets", []))],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if len(socks.stdout.readline().split()) != len(s.get("sockets", [])):
            raise RuntimeError("the sockets could not all be made: " + socks.stderr.read())
        peer = "w%d" % [i for i, itf in enumerate(s["interfaces"]) if itf["name"] == s["ingress"]][0]
        # `ip netns exec` execs the command, so the PID is the sender's own
        sender = subprocess.Popen(["ip", "netns", "exec", ro.WIRE, "python3", "-c", SENDER, peer],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert sender.stdout.readline().strip() == "ready"
        write(f"{INSTANCE}/set_event_pid", str(sender.pid))
        for ev in EVENTS:
            path = f"{INSTANCE}/events/{ev}/enable"
            if os.path.exists(path):
                write(path, "1")
        time.sleep(0.3)
        start = time.time()
        for n, f in enumerate(frames):
            time.sleep(max(0.0, start + stamps[n] - time.time()))
            write(f"{INSTANCE}/trace", "")
            sender.stdin.write(f.hex() + "\n")
            sender.stdin.flush()
            assert sender.stdout.readline().strip() == "sent"
            time.sleep(0.15)
            print(f"# frame {n}")
            for line in events(open(f"{INSTANCE}/trace").read()):
                print(line)
        sender.stdin.close()
        socks.stdin.close()
    finally:
        for ev in EVENTS:
            path = f"{INSTANCE}/events/{ev}/enable"
            if os.path.exists(path):
                write(path, "0")
        os.rmdir(INSTANCE)
        ro.teardown()


if __name__ == "__main__":
    main()
