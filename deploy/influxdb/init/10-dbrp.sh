#!/bin/bash
# Run once by the influxdb:2.x image after its initial setup (the influx CLI is already configured with the
# admin token). InfluxQL (Grafana's query language here) addresses a database and retention policy: map them
# to the bucket, so that SELECT ... FROM "monitoring".."interval_node" reads the bucket.
set -euo pipefail
influx v1 dbrp create \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${MONITORING_INFLUXQL_DATABASE:?}" \
  --rp autogen \
  --default
