// Runs Node-RED headless with one flow that writes five readings to `monitoring serve` through
// node-red-contrib-influxdb, in its 1.x mode (node-influx, /write, user name and password) or its 2.0 mode
// (@influxdata/influxdb-client, /api/v2/write, token), as an integrator would configure it in the editor.
// Usage: node run-flow.mjs MODE(1.x|2.0) SERVER_URL TOKEN_NAME TOKEN SITE METER START_MS USER_DIR
// Node-RED keeps running (the test stops it once the server has the readings); its log goes to stdout.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [mode, serverUrl, tokenName, token, site, meter, startMs, userDir] = process.argv.slice(2);
const server = new URL(serverUrl);
mkdirSync(userDir, { recursive: true });

const config = mode === '1.x'
  ? { id: 'n-influx', type: 'influxdb', hostname: server.hostname, port: server.port, protocol: 'http', database: 'nodered', name: 'monitoring v1',
      usetls: false, tls: '', influxdbVersion: '1.x', url: '', rejectUnauthorized: true }
  : { id: 'n-influx', type: 'influxdb', hostname: '', port: '', protocol: 'http', database: '', name: 'monitoring v2',
      usetls: false, tls: '', influxdbVersion: '2.0', url: serverUrl, rejectUnauthorized: true };
const credentials = mode === '1.x' ? { 'n-influx': { username: tokenName, password: token } } : { 'n-influx': { token } };

// Node ids are prefixed so that no property value (the bucket 'readings', say) reads as a reference to a node.
// One message a reading: fields (with the time) and tags, as the node's documentation shows.
const build = `const start = ${Number(startMs)};
return [[0, 1, 2, 3, 4].map(i => ({ payload: [{ energy_import_kwh: 6000 + i, time: new Date(start + i * 60000) }, { site: ${JSON.stringify(site)}, meter: ${JSON.stringify(meter)} }] }))];`;
const flows = [
  { id: 'n-tab', type: 'tab', label: 'plant' },
  { id: 'n-start', type: 'inject', z: 'n-tab', name: 'once', props: [], repeat: '', once: true, onceDelay: 0.5, wires: [['n-build']] },
  { id: 'n-build', type: 'function', z: 'n-tab', name: 'build readings', func: build, outputs: 1, wires: [['n-write']] },
  { id: 'n-write', type: 'influxdb out', z: 'n-tab', influxdb: 'n-influx', name: 'monitoring', measurement: 'meter',
    precision: 'ms', retentionPolicy: '', database: 'database', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '',
    org: 'programme', bucket: 'readings', wires: [] },
  { id: 'n-catch', type: 'catch', z: 'n-tab', scope: null, uncaught: false, wires: [['n-log']] },
  { id: 'n-log', type: 'debug', z: 'n-tab', active: true, console: true, complete: 'error', wires: [] },
  config,
];
writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
writeFileSync(join(userDir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', uiPort: 0, flowFile: 'flows.json',
  credentialSecret: false, httpAdminRoot: false, httpNodeRoot: false, logging: { console: { level: 'info' } } };`);

const red = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'node-red', 'red.js');
const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => child.kill('SIGTERM'));
}
child.on('exit', code => process.exit(code ?? 0));
