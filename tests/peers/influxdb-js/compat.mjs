// What a JavaScript application asks an InfluxDB besides writing, answered by `monitoring serve`:
// the official client's Ping, Health, Ready and Buckets APIs, then a write; node-influx's ping and writePoints (v1).
// Usage: node compat.mjs URL TOKEN_NAME TOKEN SITE METER START_MS
// Prints one JSON object with what each call returned; exits 1 on the first failure.
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { PingAPI, HealthAPI, ReadyAPI, BucketsAPI, OrgsAPI } from '@influxdata/influxdb-client-apis';
import Influx from 'influx';

const [url, tokenName, token, site, meter, startMs] = process.argv.slice(2);
const out = {};
try {
  const influxDB = new InfluxDB({ url, token });
  await new PingAPI(influxDB).getPing();
  out.ping = 'ok';
  out.health = await new HealthAPI(influxDB).getHealth();
  out.ready = await new ReadyAPI(influxDB).getReady();
  out.buckets = (await new BucketsAPI(influxDB).getBuckets({ name: 'readings' })).buckets.map(b => b.name);
  out.orgs = (await new OrgsAPI(influxDB).getOrgs({ org: 'programme' })).orgs.map(o => o.name);
  const writeApi = influxDB.getWriteApi('programme', 'readings', 'ms', { maxRetries: 0 });
  for (let i = 0; i < 5; i++) {
    writeApi.writePoint(new Point('meter').tag('site', site).tag('meter', meter)
      .floatField('energy_import_kwh', 7000 + i).timestamp(new Date(Number(startMs) + i * 60000)));
  }
  await writeApi.close();
  out.official_written = 5;

  const parsed = new URL(url);
  const v1 = new Influx.InfluxDB({ host: parsed.hostname, port: Number(parsed.port), database: 'nodered', username: tokenName, password: token });
  const hosts = await v1.ping(5000);
  out.node_influx_ping = hosts.map(h => ({ online: h.online, version: h.version }));
  await v1.writePoints(Array.from({ length: 5 }, (_, i) => ({
    measurement: 'meter', tags: { site, meter }, fields: { energy_import_kwh: 8000 + i },
    timestamp: new Date(Number(startMs) + (10 + i) * 60000),
  })), { precision: 'ms' });
  out.node_influx_written = 5;
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`failed after ${JSON.stringify(out)}: ${e?.stack ?? e}`);
  process.exit(1);
}
