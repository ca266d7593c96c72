// A nats-server secured with the site's generated per-role users, for permission tests.
import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { type EmbeddedServer, provisionSite, startNatsServer } from '../../runtime/index.ts';
import { renderAuthorization, type SiteRole, type SiteRoles } from '../../sites/index.ts';
import { tempDir } from './nats.ts';

export const SITE = 'test';

export const PASSWORDS: Record<SiteRole, string> = {
  zenith: 'zenith-pass',
  worker: 'worker-pass',
  agent: 'agent "pass" \\ with $ and quotes',
  observer: 'observer-pass',
  control: 'control-pass',
};

/** The worker's password as nats-server should store it: bcrypt (cost 4) of PASSWORDS.worker. */
export const WORKER_BCRYPT = '$2b$04$2sWFHGV78rD3/f11tq6sa.3LV7l2yCfSxz6bCQRRvjCTSVMQEDmz2';

export const ROLES: SiteRoles = {
  zenith: { user: 'zenith', password: PASSWORDS.zenith },
  worker: { user: 'worker', password: WORKER_BCRYPT },
  agent: { user: 'agent', password: PASSWORDS.agent },
  observer: { user: 'observer', password: PASSWORDS.observer },
  control: { user: 'control', password: PASSWORDS.control },
};

export interface RoleConnection {
  nc: NatsConnection;
  /** Asynchronous server errors (permission violations) seen on the status stream. */
  errors: string[];
}

export interface SecuredSite {
  server: EmbeddedServer;
  as(role: SiteRole): Promise<RoleConnection>;
  cleanup(): Promise<void>;
}

function watchErrors(nc: NatsConnection): string[] {
  const errors: string[] = [];
  (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) {
      if (s.type === 'error') errors.push(s.error.message);
    }
  })().catch(() => undefined);
  return errors;
}

/** Starts the server with the rendered users and provisions the site as zenith. */
export async function startSecuredSite(): Promise<SecuredSite> {
  const dir = tempDir('omniva-site-');
  const server = await startNatsServer({
    dir,
    domain: SITE,
    jsMaxFile: '1G',
    extraConfig: renderAuthorization(SITE, ROLES),
  });
  if (server.port === 4222) throw new Error('test server must never use 4222');
  const open: NatsConnection[] = [];
  const as = async (role: SiteRole): Promise<RoleConnection> => {
    const nc = await connect({
      servers: server.url,
      user: ROLES[role]?.user ?? role,
      pass: PASSWORDS[role],
      name: `test-${role}`,
    });
    open.push(nc);
    return { nc, errors: watchErrors(nc) };
  };
  try {
    const { nc } = await as('zenith');
    await provisionSite(nc, await jetstreamManager(nc), {
      site: SITE,
      duplicateWindowMs: 60_000,
      effectsTtlMs: 60_000,
    });
  } catch (e) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    as,
    async cleanup() {
      for (const nc of open) await nc.close().catch(() => undefined);
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const violation = (kind: 'Publish' | 'Subscription', subject: string) =>
  `Permissions Violation for ${kind} to "${subject}"`;
