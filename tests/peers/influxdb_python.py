#!/usr/bin/env python3
"""What a Python application does with Debian's python3-influxdb (the 1.x client) against `monitoring serve`:
ping, CREATE DATABASE, SHOW DATABASES, a write of five readings. Prints one JSON object; exits 1 on a failure.

Usage: influxdb_python.py HOST PORT TOKEN_NAME TOKEN SITE METER START_MS
"""
import json
import sys

from influxdb import InfluxDBClient

host, port, user, token, site, meter, start_ms = sys.argv[1:8]
out = {}
try:
    client = InfluxDBClient(host=host, port=int(port), username=user, password=token, database="python")
    out["ping"] = client.ping()
    client.create_database("python")
    out["databases"] = [d["name"] for d in client.get_list_database()]
    points = [{"measurement": "meter", "tags": {"site": site, "meter": meter},
               "time": int(start_ms) + (20 + i) * 60000, "fields": {"energy_import_kwh": 9000.0 + i}} for i in range(5)]
    out["written"] = client.write_points(points, time_precision="ms")
    print(json.dumps(out))
except Exception as e:  # the test prints what failed and where
    print(f"failed after {json.dumps(out)}: {e!r}", file=sys.stderr)
    sys.exit(1)
