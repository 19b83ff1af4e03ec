#!/usr/bin/python3
"""A serial line between two pseudo-terminals, for fault and timing tests of Modbus RTU.

    /usr/bin/python3 tests/peers/serial_relay.py --link-dir DIR [--corrupt 3,7] [--baud 9600]

Opens two pseudo-terminal pairs and links their slave ends as DIR/agent (the Modbus client opens it) and
DIR/device (tests/peers/modbus_server.py --serial opens it), then copies bytes between the two masters:
  --corrupt N,M  flips the last byte (the CRC's high byte) of the device's N-th, M-th ... answer, counted
                 from 1, as noise on the wire would; the client must see a CRC error and carry on;
  --baud B       holds every chunk for the time its bytes take on a B-baud 8N1 line (10 bits a byte), so
                 that a pseudo-terminal, which has no speed, behaves like a real bus for benchmarks.
Prints "serial_relay: ready DIR/agent DIR/device" once both links exist; SIGTERM stops it.
"""

import argparse
import os
import select
import signal
import sys
import time
import tty


def open_pair(link):
    master, slave = os.openpty()
    tty.setraw(slave)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.ttyname(slave), link)
    # The slave end stays open here too: a master whose slave has no opener reads EIO.
    return master, slave


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link-dir", required=True)
    parser.add_argument("--corrupt", default="", help="comma-separated answer numbers to corrupt")
    parser.add_argument("--baud", type=int, default=0)
    args = parser.parse_args()
    corrupt = {int(n) for n in args.corrupt.split(",") if n}
    agent_link = os.path.join(args.link_dir, "agent")
    device_link = os.path.join(args.link_dir, "device")
    agent, _agent_slave = open_pair(agent_link)
    device, _device_slave = open_pair(device_link)
    running = True

    def stop(_signum, _frame):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"serial_relay: ready {agent_link} {device_link}", flush=True)
    answers = 0
    while running:
        try:
            readable, _, _ = select.select([agent, device], [], [], 0.2)
        except InterruptedError:
            continue
        for source in readable:
            chunk = bytearray(os.read(source, 4096))
            if args.baud:
                time.sleep(len(chunk) * 10 / args.baud)
            if source == device:
                answers += 1
                if answers in corrupt:
                    chunk[-1] ^= 0xFF
                    print(f"serial_relay: corrupted answer {answers}", flush=True)
                os.write(agent, chunk)
            else:
                os.write(device, chunk)
    for link in (agent_link, device_link):
        os.unlink(link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
