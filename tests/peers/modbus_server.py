#!/usr/bin/python3
"""Modbus TCP peer for the tests: a fixed, documented register map served by pymodbus 3.0.0.

Run it with /usr/bin/python3 (Debian's python3-pymodbus is importable only there):

    /usr/bin/python3 tests/peers/modbus_server.py --host 127.0.0.1 --port 15020

./test.sh starts it on a free port and exports MONITORING_TEST_MODBUS=127.0.0.1:PORT.
The map below is a contract for our own Modbus client tests: change it only together with them.

Addressing: every address here is the PDU address (0-based, as on the wire). Request PDU address N
returns register N of this table. (pymodbus' ModbusSlaveContext defaults to zero_mode=False, which
adds 1 to every address; this server sets zero_mode=True so that no such shift happens.)
With mbpoll, use -0 to give PDU addresses (`mbpoll -0 -r 0 ...`), or 1-based references without it
(`mbpoll -r 1` reads PDU address 0).

32-bit values: ABCD = big-endian word order (high word first; mbpoll -B), CDAB = low word first
(mbpoll's default word order). Bytes within a register are always big-endian (Modbus).

Every table (coils, discrete inputs, input and holding registers) of each unit spans PDU addresses
0x0000..0x00FF; registers not listed read 0. A read touching 0x0100 or above gets exception 2
(Illegal Data Address). Requests to unit ids other than 1 and 2 get no answer at all (pymodbus drops
them, so the client times out, as behind a gateway whose device is offline). Writes (FC05/06/15/16)
are accepted and change the map until the server stops.

Unit 1: an Eastron SDM630-like three-phase meter.
  Input registers (FC04), float32 ABCD:
    PDU     registers   quantity                       value
    0x0000  0-1         L1 voltage (V)                 230.5
    0x0002  2-3         L2 voltage (V)                 231.0
    0x0004  4-5         L3 voltage (V)                 229.5
    0x0006  6-7         L1 current (A)                 12.25
    0x0008  8-9         L2 current (A)                 11.5
    0x000A  10-11       L3 current (A)                 10.75
    0x000C  12-13       L1 active power (W)            950.0
    0x000E  14-15       L2 active power (W)            940.0
    0x0010  16-17       L3 active power (W)            955.0
    0x0034  52-53       total system power (W)         2845.0
    0x003E  62-63       total system power factor      0.92   (float32: 0.920000017)
    0x0046  70-71       frequency (Hz)                 50.0
    0x0048  72-73       total import active energy kWh 123456.5
    0x004A  74-75       total export active energy kWh 10.25
  Holding registers (FC03), uint16: PDU 0..9 = 100, 200, 300, ..., 1000.

Unit 2: a pulse / water-meter gateway (different layout and word order).
  Holding registers (FC03):
    PDU     registers   type             quantity                 value     raw words
    0x0000  0-1         uint32 CDAB      pulse counter            1234567890  [0x02D2, 0x4996] = [722, 18838]
    0x0002  2           int16            temperature (0.1 degC)   -1234     [0xFB2E] = [64302]
    0x0003  3           uint16           status (1 = ok)          1
    0x0010  16-17       float32 CDAB     volume (m3)              1234.5    [0x4000, 0x449A] = [16384, 17562]
  Input registers (FC04): all 0.
"""

import argparse
import asyncio
import logging
import signal
import struct
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server.async_io import ModbusTcpServer

TABLE_SIZE = 0x100


def float32_abcd(value):
    """Return the two registers of a float32, high word first."""
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def float32_cdab(value):
    """Return the two registers of a float32, low word first."""
    return list(reversed(float32_abcd(value)))


def uint32_cdab(value):
    """Return the two registers of a uint32, low word first."""
    return [value & 0xFFFF, (value >> 16) & 0xFFFF]


def int16(value):
    """Return the register of a signed 16-bit value (two's complement)."""
    return struct.unpack(">H", struct.pack(">h", value))[0]


def table(entries):
    """Build a full 0x0000..0x00FF register table from {pdu_address: [registers]}."""
    registers = [0] * TABLE_SIZE
    for address, words in entries.items():
        registers[address : address + len(words)] = words
    return registers


def block(values):
    # The block starts at 0: with zero_mode=True the context passes PDU addresses through unchanged.
    return ModbusSequentialDataBlock(0, values)


def unit(input_registers, holding_registers):
    return ModbusSlaveContext(
        di=block([0] * TABLE_SIZE),
        co=block([0] * TABLE_SIZE),
        ir=block(input_registers),
        hr=block(holding_registers),
        zero_mode=True,
    )


SDM630_INPUT = {
    0x0000: float32_abcd(230.5),
    0x0002: float32_abcd(231.0),
    0x0004: float32_abcd(229.5),
    0x0006: float32_abcd(12.25),
    0x0008: float32_abcd(11.5),
    0x000A: float32_abcd(10.75),
    0x000C: float32_abcd(950.0),
    0x000E: float32_abcd(940.0),
    0x0010: float32_abcd(955.0),
    0x0034: float32_abcd(2845.0),
    0x003E: float32_abcd(0.92),
    0x0046: float32_abcd(50.0),
    0x0048: float32_abcd(123456.5),
    0x004A: float32_abcd(10.25),
}
SDM630_HOLDING = {0x0000: [100 * (i + 1) for i in range(10)]}

GATEWAY_HOLDING = {
    0x0000: uint32_cdab(1234567890),
    0x0002: [int16(-1234)],
    0x0003: [1],
    0x0010: float32_cdab(1234.5),
}


def build_context():
    return ModbusServerContext(
        slaves={
            1: unit(table(SDM630_INPUT), table(SDM630_HOLDING)),
            2: unit(table({}), table(GATEWAY_HOLDING)),
        },
        single=False,
    )


async def serve(host, port):
    loop = asyncio.get_running_loop()
    server = ModbusTcpServer(
        context=build_context(),
        address=(host, port),
        allow_reuse_address=True,
        defer_start=False,
    )
    task = asyncio.ensure_future(server.serve_forever())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.serving
    print(f"modbus_server: serving units 1 and 2 on {host}:{port}", flush=True)
    done, _ = await asyncio.wait(
        [task, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    if task in done:
        # serve_forever returned on its own: the listener failed.
        task.result()
        return 1
    server.server.close()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    print("modbus_server: stopped", flush=True)
    return 0


class _DropDisconnectNoise(logging.Filter):
    # pymodbus 3.0.0 logs every ordinary client disconnect at ERROR level.
    def filter(self, record):
        return "has been canceled" not in record.getMessage()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropDisconnectNoise())
    return asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    sys.exit(main())
