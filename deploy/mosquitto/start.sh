#!/bin/sh
# Writes mosquitto's password file from the environment (no password is kept in git), then runs the broker.
set -eu
: "${MQTT_MONITORING_PASSWORD:?set MQTT_MONITORING_PASSWORD in .env}"
: "${MQTT_EDGE_PASSWORD:?set MQTT_EDGE_PASSWORD in .env}"
umask 077
mosquitto_passwd -c -b /mosquitto/data/passwd monitoring "$MQTT_MONITORING_PASSWORD"
mosquitto_passwd -b /mosquitto/data/passwd edge "$MQTT_EDGE_PASSWORD"
chown mosquitto:mosquitto /mosquitto/data/passwd
exec mosquitto -c /mosquitto/config/mosquitto.conf
