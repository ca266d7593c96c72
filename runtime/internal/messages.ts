import { type Envelope, OmnivaError } from '../../protocols/index.ts';
import type { MessageMeta } from '../actor-kind.ts';
import { ActorFailure } from './instance.ts';

export function metaOf(env: Envelope, stardustId?: string): MessageMeta {
  return {
    msg_id: env.msg_id,
    trace_id: env.trace_id,
    site_id: env.site_id,
    _meta_parents: env._meta_parents ?? [],
    emitted_at: env.emitted_at,
    ...(env.actor ? { actor: env.actor } : {}),
    ...(stardustId ? { stardust_id: stardustId } : {}),
    ...(env.command ? { command: env.command } : {}),
  };
}

export function toOmnivaError(e: unknown): OmnivaError {
  if (OmnivaError.is(e)) return e;
  if (e instanceof ActorFailure) return new OmnivaError('OMNIVA_ERR_ACTOR_FAILED', e.message);
  return new OmnivaError('OMNIVA_ERR_ACTOR_FAILED', e instanceof Error ? e.message : String(e));
}
