"""What ethtool's rx-flow-hash and ntuple steering do on the machine's own virtio_net device
(Linux 6.18): reads with -n and the driver's answers to -N (virtnet_set_hashflow()), and to
turning ntuple filters on and adding a rule, printed as ethtool 6.1 prints them. The reference machine's virtio device offers no RSS, so it supports no hash types: only
'r' (hash nothing) is accepted. Writes that succeed change nothing on such a device.

Run as root:  python3 tests/oracle/rx_flow_hash_oracle.py
Output (JSON): [{"args": "...", "out": "...", "ok": bool}, ...], the device named DEV in args.
"""
import json
import os
import subprocess

COMMANDS = [
    "-n DEV rx-flow-hash udp4",
    "-n DEV rx-flow-hash tcp4",
    "-N DEV rx-flow-hash udp4 sdfn",
    "-N DEV rx-flow-hash udp4 sd",
    "-N DEV rx-flow-hash udp4 r",
    "-N DEV rx-flow-hash udp4 sdf",
    "-N DEV rx-flow-hash tcp4 sd",
    "-N DEV rx-flow-hash sctp4 sd",
    # ntuple steering: virtio_net has ntuple-filters fixed off and no classification rules
    "-K DEV ntuple on",
    "-N DEV flow-type udp4 dst-port 5000 action 0",
]


def virtio_dev():
    for dev in sorted(os.listdir("/sys/class/net")):
        driver = f"/sys/class/net/{dev}/device/driver"
        if os.path.islink(driver) and os.path.basename(os.readlink(driver)) == "virtio_net":
            return dev
    raise RuntimeError("no virtio_net device on this machine")


if __name__ == "__main__":
    dev = virtio_dev()
    out = []
    for args in COMMANDS:
        r = subprocess.run(["ethtool", *args.replace("DEV", dev).split()], capture_output=True, text=True)
        # ethtool 6.1 returns 0 even when the kernel refuses -N rx-flow-hash: the message tells
        text = (r.stdout + r.stderr).replace(dev, "DEV")
        out.append({"args": args, "out": text, "ok": "Cannot" not in text and r.returncode == 0})
    print(json.dumps(out, indent=1))
