"""The oracles' shared setup: a host namespace whose eth0 (10.1.0.2/24) is one end of a veth, and a
client namespace holding the other end w0 (10.1.0.7/24), both up, IPv6 off; and their removal."""
import subprocess

from replay_oracle import sh


def veth_pair(host, client):
    for ns in (host, client):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        sh("ip", "netns", "add", ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
    sh("ip", "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", "w0", "netns", client)
    sh("ip", "addr", "add", "10.1.0.2/24", "dev", "eth0", ns=host)
    sh("ip", "addr", "add", "10.1.0.7/24", "dev", "w0", ns=client)
    sh("ip", "link", "set", "eth0", "up", ns=host)
    sh("ip", "link", "set", "w0", "up", ns=client)


def neigh_resolved(host, client):
    """The client knows eth0's MAC for good: no ARP before the first datagram."""
    mac = sh("cat", "/sys/class/net/eth0/address", ns=host).strip()
    sh("ip", "neigh", "add", "10.1.0.2", "lladdr", mac, "dev", "w0", "nud", "permanent", ns=client)


def delete(*namespaces):
    for ns in namespaces:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
