"""What writing net.ipv4.udp_mem does on a real kernel (proc_doulongvec_minmax): for each text
written, whether the write failed and what the three limits read afterwards. Each write starts
from the same limits and they are restored at the end (udp_mem is one for the whole machine).

Run as root:  python3 tests/oracle/udp_mem_writes_oracle.py
Output (JSON): {"start": "a b c", "writes": [{"write": text, "error": strerror or null,
"reads": "a b c"}, ...]}.
"""
import json

PATH = "/proc/sys/net/ipv4/udp_mem"
START = "1000 2000 3000"
WRITES = ["100", "100 200", "100 200 300", "1 2 3 4", "7 8 9 x", "5 x", "-1", "x", "", "0 0 0"]


def write(text):
    try:
        with open(PATH, "w") as f:
            f.write(text + "\n")  # as echo writes it
        return None
    except OSError as e:
        return e.strerror


if __name__ == "__main__":
    saved = open(PATH).read().split()
    out = []
    try:
        for text in WRITES:
            write(START)
            err = write(text)
            out.append({"write": text, "error": err, "reads": " ".join(open(PATH).read().split())})
    finally:
        write(" ".join(saved))
    print(json.dumps({"start": START, "writes": out}, indent=1))
