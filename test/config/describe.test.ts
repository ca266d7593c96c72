import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  configSchema,
  describeConfig,
  loadConfig,
  logSlice,
  natsSlice,
  runtimeSlice,
} from '../../config/index.ts';
import { createLogger } from '../../runtime/logger.ts';

const cfg = loadConfig({ env: {}, cwd: '/srv/omniva', overrides: { site_id: 'site-a' } });

test('describe - one row per key with env var and default', () => {
  const text = describeConfig();
  const row = (key: string) => text.split('\n').find((l) => l.startsWith(`${key} `)) ?? '';
  assert.match(row('runtime.ack_wait_ms'), /OMNIVA_RUNTIME__ACK_WAIT_MS\s+30000\s+\S/);
  assert.match(row('runtime.backoff_ms'), /OMNIVA_RUNTIME__BACKOFF_MS\s+1000,5000,15000\s/);
  assert.match(row('site_id'), /OMNIVA_SITE_ID\s+local\s/);
  assert.match(row('host_id'), /OMNIVA_HOST_ID\s+\(hostname\)\s/);
  assert.match(row('nats.url'), /OMNIVA_NATS__URL\s+-\s/);
  assert.match(text, 'NATS_URL also sets nats.url');
});

test('describe - every schema key is documented', () => {
  const text = describeConfig();
  // Every leaf of the schema, however deep its section (workers.editor.crf, …).
  type Node = { type?: string; properties?: Record<string, Node> };
  const leaves = (node: Node, prefix: string): string[] =>
    Object.entries(node.properties ?? {}).flatMap(([k, child]) =>
      child.type === 'object' && child.properties
        ? leaves(child, `${prefix}${k}.`)
        : [`${prefix}${k}`],
    );
  const keys = leaves(configSchema as unknown as Node, '');
  assert.ok(keys.includes('workers.editor.crf'));
  for (const key of keys) {
    const row = text.split('\n').find((l) => l.startsWith(`${key} `));
    assert.ok(row, `${key} missing from the table`);
    assert.ok(row.trimEnd().split(/\s{2,}/).length === 4, `${key} row lacks a column: ${row}`);
  }
});

test('slices - hand each part its section', () => {
  assert.is(natsSlice(cfg), cfg.nats);
  assert.is(runtimeSlice(cfg), cfg.runtime);
  assert.equal(logSlice(cfg), { level: 'info', site_id: 'site-a', host_id: cfg.host_id });
});

test('slices - the log slice is the root logger options', () => {
  const lines: string[] = [];
  const log = createLogger({ ...logSlice(cfg), destination: { write: (s) => lines.push(s) } });
  log.info('config loaded');
  const line = JSON.parse(lines[0] ?? '{}');
  assert.is(line.site_id, 'site-a');
  assert.is(line.host_id, cfg.host_id);
});

test.run();
