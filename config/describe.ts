import { CONFIG_FILE_ENV, NATS_URL_ENV } from './internal/env.ts';
import { type ConfigKey, configKeys } from './internal/keys.ts';
import { DEFAULT_CONFIG_FILE } from './load.ts';

// Defaults computed by the loader rather than written in the schema.
const DERIVED_DEFAULTS: Readonly<Record<string, string>> = {
  host_id: '(hostname)',
  'ops.health.volumes': '(data_dir)',
};

function defaultText(key: ConfigKey): string {
  const derived = DERIVED_DEFAULTS[key.dotted];
  if (derived) return derived;
  const value = key.node.default;
  if (value === undefined) return '-';
  // Lists are shown the way they are written in an environment variable.
  if (Array.isArray(value)) return value.length ? value.join(',') : '(none)';
  // A map is shown by its keys (the description says what they hold).
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    return keys.length ? keys.join(',') : '(none)';
  }
  return String(value);
}

/**
 * Every configuration key as an aligned plain-text table (key, env var, default,
 * description), followed by the rules that apply to all of them. Rendered from the schema,
 * so the README and `omniva config --help` cannot drift from the loader.
 */
export function describeConfig(): string {
  const header = ['key', 'env var', 'default', 'description'];
  const rows = configKeys.map((k) => [k.dotted, k.env, defaultText(k), k.node.description ?? '']);
  // The last column is left ragged so long descriptions do not pad every line.
  const widths = header.map((h, i) =>
    i === header.length - 1
      ? h.length
      : Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    render(header),
    render(widths.map((w) => '-'.repeat(w))),
    ...rows.map(render),
    '',
    `Precedence: defaults < config file < environment < command-line flags.`,
    `Config file: the one ${CONFIG_FILE_ENV} names, else ./${DEFAULT_CONFIG_FILE} when present.`,
    `${NATS_URL_ENV} also sets nats.url; OMNIVA_NATS__URL wins when both are set.`,
    'Lists are comma separated; an empty variable counts as unset.',
  ].join('\n');
}
