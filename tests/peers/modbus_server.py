#!/usr/bin/python3
"""Modbus TCP peer for the tests: a fixed, documented register map served by pymodbus 3.0.0.

Run it with /usr/bin/python3 (Debian's python3-pymodbus is importable only there):

    /usr/bin/python3 tests/peers/modbus_server.py --host 127.0.0.1 --port 15020 [--rtu-port 15021]
    /usr/bin/python3 tests/peers/modbus_server.py --serial /dev/pts/N [--baud 9600]   (Modbus RTU, e.g. on a socat pty)

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
(Illegal Data Address). Requests to unit ids other than 1, 2, 3 and 11..17 get no answer at all (pymodbus drops
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

Units 11..17: one meter of each built-in edge profile, in the vendor's own encoding, encoded here with
Python's struct (independently of our C# decoder). Only the registers listed exist (sparse map): a read
that bridges a hole gets exception 2, as on the real devices, so the edge planner has to split it.
    unit  profile               table    values (as the device means them)
    11    eastron-sdm630        input    V 231.2, I 15.5, P 3120 W, PF 0.95, f 49.98 Hz, import 45678.25 kWh, export 12.5 kWh, import 3456.75 kvarh;
                                         per phase V 231.2/230.6/229.9, I 15.5/14.25/16, P 1040/1030/1050 W
    12    janitza-umg96rm       holding  V 229.8, I 42, P 8450 W, Q 2100 var, f 50.01, import 123456768 Wh, export 4096 Wh, inductive 2345678 varh
    13    socomec-countis-e4x   holding  V 23045 (/100), f 5002 (/100), P -12345 (S32 /100 kW), PF -870 (/1000), Ea+ 654321 kWh
    14    carlo-gavazzi-em24    input    V 2315 (/10), P 123456 (/10 W), PF 912 (/1000), f 500 (/10), import 9876543 (/10 kWh), export 15
    15    schneider-pm5xxx      holding  I 85.5, V 232.1, P 55.25 kW, PF 1.25 (4Q: 0.75 leading), f 49.95, delivered 1234567890123 Wh, received 5000 Wh,
                                         reactive delivered 98765432109 varh
    16    tuf-2000m             holding  flow 12.75 m3/h, totaliser 98765 + 0.25 m3 (CDAB)
    17    xintai-water          holding  volume 4321.5 m3, flow 3.25 m3/h (float32 DCBA)
The exact addresses are in PROFILE_UNITS below.

Unit 3: every data type in every word order, holding registers, encoded with struct (TYPE_MATRIX below):
types int16, uint16, int32, uint32, int64, uint64, float32, float64 (in that order), each in the orders
ABCD, CDAB, BADC, DCBA (in that order); entry k = type_index * 4 + order_index starts at PDU 4 * k
(a 16-bit type uses one register of its four). Values: int16 -12345, uint16 54321, int32 -123456789,
uint32 3123456789, int64 -1234567890123456, uint64 12345678901234567, float32 -1234.5, float64 98765.4321.
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
    ModbusSparseDataBlock,
)
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer

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


def words(fmt, value):
    """Big-endian registers of value packed with struct format fmt (e.g. '>f', '>I', '>q')."""
    raw = struct.pack(fmt, value)
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def low_word_first(registers):
    """CDAB: the same registers, least significant word first."""
    return list(reversed(registers))


def float32_dcba(value):
    """DCBA: little-endian bytes, as some water meters send them."""
    return words("<f", value)


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


TYPE_MATRIX_VALUES = [
    (">h", -12345), (">H", 54321), (">i", -123456789), (">I", 3123456789),
    (">q", -1234567890123456), (">Q", 12345678901234567), (">f", -1234.5), (">d", 98765.4321),
]


def in_order(registers, order):
    """Big-endian registers rearranged to ABCD, CDAB (words reversed), BADC (bytes swapped) or DCBA (both)."""
    if order in ("CDAB", "DCBA"):
        registers = list(reversed(registers))
    if order in ("BADC", "DCBA"):
        registers = [((r & 0xFF) << 8) | (r >> 8) for r in registers]
    return registers


def type_matrix():
    entries = {}
    for type_index, (fmt, value) in enumerate(TYPE_MATRIX_VALUES):
        for order_index, order in enumerate(("ABCD", "CDAB", "BADC", "DCBA")):
            entries[4 * (type_index * 4 + order_index)] = in_order(words(fmt, value), order)
    return entries


# unit: (table, {pdu_address: [registers]}), in each vendor's encoding.
PROFILE_UNITS = {
    11: ("input", {  # eastron-sdm630: float32 ABCD
        0x0000: words(">f", 231.2), 0x0006: words(">f", 15.5), 0x0034: words(">f", 3120.0),
        0x0002: words(">f", 230.6), 0x0004: words(">f", 229.9), 0x0008: words(">f", 14.25), 0x000A: words(">f", 16.0),
        0x000C: words(">f", 1040.0), 0x000E: words(">f", 1030.0), 0x0010: words(">f", 1050.0),
        0x003E: words(">f", 0.95), 0x0046: words(">f", 49.98),
        0x0048: words(">f", 45678.25), 0x004A: words(">f", 12.5), 0x004C: words(">f", 3456.75),
    }),
    12: ("holding", {  # janitza-umg96rm: float32 ABCD, energies in Wh
        19000: words(">f", 229.8), 19012: words(">f", 42.0), 19026: words(">f", 8450.0),
        19042: words(">f", 2100.0), 19050: words(">f", 50.01),
        19068: words(">f", 123456768.0), 19076: words(">f", 4096.0), 19100: words(">f", 2345678.0),
    }),
    13: ("holding", {  # socomec-countis-e4x: U32/S32 fixed point, high word first
        0xC558: words(">I", 23045), 0xC55E: words(">I", 5002), 0xC568: words(">i", -12345),
        0xC56E: words(">i", -870), 0xC652: words(">I", 654321),
    }),
    14: ("input", {  # carlo-gavazzi-em24: INT32 low word first, INT16
        0x0000: low_word_first(words(">i", 2315)), 0x0028: low_word_first(words(">i", 123456)),
        0x0035: words(">h", 912), 0x0037: words(">h", 500),
        0x0042: low_word_first(words(">i", 9876543)), 0x005C: low_word_first(words(">i", 15)),
    }),
    15: ("holding", {  # schneider-pm5xxx: register N is PDU N-1; float32 ABCD; INT64 Wh
        2999: words(">f", 85.5), 3027: words(">f", 232.1), 3059: words(">f", 55.25),
        3083: words(">f", 1.25), 3109: words(">f", 49.95),
        3203: words(">q", 1234567890123), 3207: words(">q", 5000), 3219: words(">q", 98765432109),
    }),
    16: ("holding", {  # tuf-2000m: register N is PDU N-1; 32-bit values low word first
        0: low_word_first(words(">f", 12.75)),
        8: low_word_first(words(">i", 98765)), 10: low_word_first(words(">f", 0.25)),
    }),
    17: ("holding", {  # xintai-water: float32 DCBA
        0x0001: float32_dcba(4321.5), 0x0005: float32_dcba(3.25),
    }),
}


def sparse(entries):
    """Only the listed registers exist; anything else in a read is exception 2."""
    values = {}
    for address, registers in entries.items():
        for offset, register in enumerate(registers):
            values[address + offset] = register
    return ModbusSparseDataBlock(values)


def profile_unit(kind, entries):
    empty = ModbusSparseDataBlock({0: 0})
    return ModbusSlaveContext(
        di=empty,
        co=empty,
        ir=sparse(entries) if kind == "input" else empty,
        hr=sparse(entries) if kind == "holding" else empty,
        zero_mode=True,
    )


def build_context():
    slaves = {
        1: unit(table(SDM630_INPUT), table(SDM630_HOLDING)),
        2: unit(table({}), table(GATEWAY_HOLDING)),
        3: unit(table({}), table(type_matrix())),
    }
    for number, (kind, entries) in PROFILE_UNITS.items():
        slaves[number] = profile_unit(kind, entries)
    return ModbusServerContext(slaves=slaves, single=False)


async def serve_serial(path, baud):
    # The same map as Modbus RTU on a serial port: one end of a socat pseudo-terminal pair stands in for the bus.
    loop = asyncio.get_running_loop()
    server = ModbusSerialServer(context=build_context(), framer=ModbusRtuFramer, port=path, baudrate=baud)
    await server.start()
    if server.transport is None:
        print(f"modbus_server: cannot open serial port {path}", file=sys.stderr, flush=True)
        return 1
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"modbus_server: serving units 1, 2, 3 and 11..17 as Modbus RTU on {path} at {baud} baud", flush=True)
    await stop.wait()
    await server.shutdown()
    print("modbus_server: stopped", flush=True)
    return 0


async def serve(host, port, rtu_port):
    loop = asyncio.get_running_loop()
    context = build_context()
    servers = [ModbusTcpServer(context=context, address=(host, port), allow_reuse_address=True, defer_start=False)]
    if rtu_port:
        # The same map behind RTU framing (unit, PDU, CRC-16) over TCP, as cheap serial gateways speak it.
        servers.append(
            ModbusTcpServer(
                context=context,
                framer=ModbusRtuFramer,
                address=(host, rtu_port),
                allow_reuse_address=True,
                defer_start=False,
            )
        )
    tasks = [asyncio.ensure_future(server.serve_forever()) for server in servers]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for server in servers:
        await server.serving
    rtu = f", RTU over TCP on {host}:{rtu_port}" if rtu_port else ""
    print(f"modbus_server: serving units 1, 2, 3 and 11..17 on {host}:{port}{rtu}", flush=True)
    done, _ = await asyncio.wait(
        [*tasks, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    for task in tasks:
        if task in done:
            # serve_forever returned on its own: a listener failed.
            task.result()
            return 1
    for server, task in zip(servers, tasks):
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
    parser.add_argument("--port", type=int, default=0, help="Modbus TCP port (required unless --serial)")
    parser.add_argument("--rtu-port", type=int, default=0, help="also serve the map with RTU framing over TCP")
    parser.add_argument("--serial", help="serve the map as Modbus RTU on this serial port instead of TCP")
    parser.add_argument("--baud", type=int, default=9600, help="baud rate of --serial")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropDisconnectNoise())
    if args.serial:
        return asyncio.run(serve_serial(args.serial, args.baud))
    if not args.port:
        parser.error("--port or --serial is required")
    return asyncio.run(serve(args.host, args.port, args.rtu_port))


if __name__ == "__main__":
    sys.exit(main())
