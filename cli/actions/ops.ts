import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/index.ts';
import {
  issueCommand,
  OPS_ACTIONS,
  type OpsAction,
  type SignedOpsCommand,
} from '../../ops-agent/index.ts';
import { OmnivaError } from '../../protocols/index.ts';
import {
  createGrantKey,
  createOpsKey,
  opsSignerFromSeed,
  sendOpsCommand,
} from '../../runtime/index.ts';

export interface KeygenOptions {
  out?: string;
  grant?: boolean;
}

export interface SignOptions {
  seedFile: string;
  site: string;
  host: string;
  action: string;
  arg: string[];
  role: string;
  ttl: string;
  confirm?: boolean;
}

export interface SendOptions {
  url?: string;
  config?: string;
  timeout: string;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

const usage = (message: string) => new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', message);

/** Prints the public key; the seed goes to --out (0600) or, without it, to stdout. */
export function keygenCommand(opts: KeygenOptions): void {
  const key = opts.grant ? createGrantKey() : createOpsKey();
  const use = opts.grant
    ? "the fleet file's zenith.grant_public_key (the seed goes to OMNIVA_GRANT_SEED of the zenith hosts)"
    : "the agents' trusted keys";
  if (opts.out) {
    // `wx`: never overwrite an existing seed, which may be the only copy of a trusted key.
    writeFileSync(opts.out, `${key.seed}\n`, { mode: 0o600, flag: 'wx' });
    out(`public key: ${key.publicKey}`);
    out(`seed written to ${opts.out} (mode 0600); add the public key to ${use}`);
    return;
  }
  out(`public key: ${key.publicKey}`);
  out(`seed: ${key.seed}`);
}

/** `k=v` pairs; `confirm` only through --confirm, so a typo cannot confirm by accident. */
function parseArgs(pairs: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usage(`--arg "${pair}" is not key=value`);
    const k = pair.slice(0, at);
    if (k === 'confirm') throw usage('use --confirm, not --arg confirm=…');
    args[k] = pair.slice(at + 1);
  }
  return args;
}

export function signCommandCli(opts: SignOptions): void {
  if (!(OPS_ACTIONS as readonly string[]).includes(opts.action)) {
    throw usage(`unknown action "${opts.action}"; one of ${OPS_ACTIONS.join(', ')}`);
  }
  const ttl = Number(opts.ttl);
  const signer = opsSignerFromSeed(readFileSync(opts.seedFile, 'utf8'));
  const args = { ...parseArgs(opts.arg), ...(opts.confirm ? { confirm: true } : {}) };
  const signed = issueCommand(signer, {
    site_id: opts.site,
    host_id: opts.host,
    action: opts.action as OpsAction,
    args: args as never,
    role: opts.role,
    ttl_s: ttl,
  });
  out(JSON.stringify(signed, null, 2));
}

export async function sendCommandCli(file: string, opts: SendOptions): Promise<void> {
  const body = readFileSync(file === '-' ? 0 : file, 'utf8');
  let signed: SignedOpsCommand;
  try {
    signed = JSON.parse(body) as SignedOpsCommand;
  } catch {
    throw usage(`${file} is not JSON`);
  }
  const site = signed?.command?.site_id;
  const host = signed?.command?.host_id;
  if (typeof site !== 'string' || typeof host !== 'string') {
    throw usage('the signed command names no site_id and host_id');
  }
  const config = loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: opts.url ? { nats: { url: opts.url } } : {},
  });
  const url = config.nats.url;
  if (!url) throw usage('no NATS URL: pass --url or set nats.url (or NATS_URL)');
  let result: Record<string, unknown>;
  try {
    result = await sendOpsCommand({
      url,
      site,
      host,
      body,
      timeoutMs: Number(opts.timeout),
      ...(config.nats.user ? { user: config.nats.user, pass: config.nats.pass ?? '' } : {}),
    });
  } catch (e) {
    process.exitCode = 2;
    throw e;
  }
  out(JSON.stringify(result, null, 2));
  process.exitCode = result.status === 'succeeded' ? 0 : 1;
}
