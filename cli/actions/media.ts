import { SECRET_ENV } from '../../config/index.ts';
import { OmnivaError } from '../../protocols/index.ts';
import { collectReferences, type GcReport, MediaStore, promoteMedia } from '../../runtime/index.ts';
import { cliConfig, connectForCli, openLedgerForCli } from '../internal/connect.ts';

export interface MediaCliOptions {
  site?: string;
  dataDir?: string;
  config?: string;
}

export interface MediaGcCliOptions extends MediaCliOptions {
  url?: string;
  dryRun?: boolean;
  olderThan?: string;
  verbose?: boolean;
  json?: boolean;
}

export interface PromoteCliOptions extends MediaCliOptions {
  url?: string;
  to: string;
  toHost: string;
  toUrl: string;
  toUser?: string;
  reason: string;
  operator?: string;
  wait: string;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h`, `30m`, `0s`, `1.5h`, `500ms`, `7d` in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `"${text}" is not a duration: use a number and a unit (ms, s, m, h, d), e.g. 30m or 0s`,
      { value: text },
    );
  }
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

function fail(command: string, e: unknown): void {
  const err = e as { code?: string; message?: string };
  const code = err.code ? `${err.code}: ` : '';
  process.stderr.write(`omniva media ${command}: ${code}${err.message ?? String(e)}\n`);
  process.exitCode = 1;
}

function printReport(r: GcReport, site: string, olderThan: string, refs: number, verbose: boolean) {
  const verb = r.dryRun ? 'would remove' : 'removed';
  out(`media gc${r.dryRun ? ' (dry run)' : ''}: site ${site}, older than ${olderThan}`);
  out(`references found: ${refs}`);
  out(`${verb}: ${r.removed.length} blob(s), ${r.removedBytes} bytes`);
  if (verbose) for (const b of r.removed) out(`  ${b.uri}  ${b.size} bytes`);
  out(`kept referenced: ${r.keptReferenced}`);
  out(`kept young: ${r.keptYoung}`);
  out(`stale partial uploads ${r.dryRun ? 'to remove' : 'removed'}: ${r.staleTemp.length}`);
  if (verbose) for (const path of r.staleTemp) out(`  ${path}`);
}

export async function gcCommand(opts: MediaGcCliOptions): Promise<void> {
  let conn: Awaited<ReturnType<typeof connectForCli>> | undefined;
  try {
    const olderThan = opts.olderThan ?? '1h';
    const olderThanMs = parseDuration(olderThan);
    const { config } = cliConfig(opts);
    const site = config.site_id;
    // Before connecting: a bad site id fails here rather than after a server started.
    const store = new MediaStore({ dataDir: config.data_dir, siteId: site });
    conn = await connectForCli(opts, 'omniva-media-cli');
    const referenced = await collectReferences({ nc: conn.nc, site, dataDir: config.data_dir });
    const report = await store.gc(referenced, { olderThanMs, dryRun: opts.dryRun ?? false });
    if (opts.json) {
      out(
        JSON.stringify({
          site,
          older_than_ms: olderThanMs,
          references: referenced.size,
          ...report,
        }),
      );
    } else {
      printReport(report, site, olderThan, referenced.size, opts.verbose ?? false);
    }
  } catch (e) {
    fail('gc', e);
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

export async function lsCommand(opts: MediaCliOptions): Promise<void> {
  try {
    const { config } = cliConfig(opts);
    const store = new MediaStore({ dataDir: config.data_dir, siteId: config.site_id });
    let count = 0;
    let bytes = 0;
    for await (const e of store.entries()) {
      out(`${e.uri}  ${e.size}  ${new Date(e.mtimeMs).toISOString()}`);
      count++;
      bytes += e.size;
    }
    out(`${count} blob(s), ${bytes} bytes in ${store.root}`);
  } catch (e) {
    fail('ls', e);
  }
}

export async function promoteCommand(uri: string, opts: PromoteCliOptions): Promise<void> {
  let opened: Awaited<ReturnType<typeof openLedgerForCli>> | undefined;
  try {
    const waitMs = parseDuration(opts.wait);
    const { config } = cliConfig(opts);
    opened = await openLedgerForCli(opts, 'omniva-media-promote');
    const r = await promoteMedia({
      store: new MediaStore({ dataDir: config.data_dir, siteId: config.site_id }),
      ledger: opened.ledger,
      uri,
      target: {
        url: opts.toUrl,
        ...(opts.toUser
          ? { user: opts.toUser, pass: process.env[SECRET_ENV.promotePass] ?? '' }
          : {}),
        timeoutMs: config.nats.connect_timeout_ms,
      },
      to_site: opts.to,
      to_host: opts.toHost,
      operator: opts.operator ?? process.env.USER ?? 'operator',
      reason: opts.reason,
      waitMs,
    });
    out(`promoted ${uri} (${r.size} bytes) to ${opts.to}/${opts.toHost}`);
    out(`  ${config.site_id} ledger: media_promote ${r.stardust_id}`);
    if (r.import_packet) {
      out(`  ${opts.to} ledger: media_import ${r.import_packet}`);
      out(`  now ${r.target_uri}`);
    } else {
      process.stderr.write(
        `omniva media promote: ${opts.toHost} did not record the import within ${opts.wait}; the bytes wait in ${opts.to}'s inbox\n`,
      );
      process.exitCode = 1;
    }
  } catch (e) {
    fail('promote', e);
  } finally {
    await opened?.close();
  }
}
