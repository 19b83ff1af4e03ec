// Writes readings to an InfluxDB v2 write API with the official JavaScript client, as any Node.js application would.
// Usage: node write.mjs URL TOKEN SITE METER COUNT START_MS
import { InfluxDB, Point } from '@influxdata/influxdb-client';

const [url, token, site, meter, count, startMs] = process.argv.slice(2);
const writeApi = new InfluxDB({ url, token }).getWriteApi('programme', 'readings', 'ms', { maxRetries: 0 });
for (let i = 0; i < Number(count); i++) {
  writeApi.writePoint(
    new Point('meter').tag('site', site).tag('meter', meter)
      .floatField('energy_import_kwh', 5000 + i).timestamp(new Date(Number(startMs) + i * 60000)));
}
try {
  await writeApi.close();
  console.log(`wrote ${count} points`);
} catch (e) {
  console.error(`write failed: ${e}`);
  process.exit(1);
}
