import type { JetStreamClient } from '@nats-io/jetstream';
import {
  type Codec,
  type ContractName,
  makeEnvelope,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import { publishRecorded } from './outbound.ts';
import type { Recorder } from './recorder.ts';

/** Publishes a message from inside a running effect (progress of a render, an upload). */
export type Report = (name: string, contract: ContractName, payload: unknown) => void;

/**
 * Progress cannot wait for the step's outbox, which is published only once the effect is
 * over. These messages go out at once on `evt.<actor>.<name>`, validated and recorded like
 * any other; they are best effort (a lost progress report is superseded by the next one),
 * so a failure is logged, never thrown into the effect.
 */
export class Telemetry {
  constructor(
    private readonly js: JetStreamClient,
    private readonly d: { site: string; codec: Codec },
    private readonly actor: string,
    private readonly recorder: Recorder,
    private readonly log: Logger,
  ) {}

  for(trace_id: string, causation_id?: string): Report {
    return (name, contract, payload) => {
      this.#publish(name, contract, payload, trace_id, causation_id).catch((err) =>
        this.log.warn({ err, trace_id, name }, 'progress report not published'),
      );
    };
  }

  async #publish(
    name: string,
    contract: ContractName,
    payload: unknown,
    trace_id: string,
    causation_id: string | undefined,
  ): Promise<void> {
    const v = validateContract(contract, payload);
    if (!v.ok) throw new Error(`invalid ${contract}: ${JSON.stringify(v.violations)}`);
    const { site, codec } = this.d;
    const { actor } = this;
    const envelope = makeEnvelope({
      type: contract,
      site_id: site,
      payload: payload as Record<string, unknown>,
      trace_id,
      actor,
      ...(causation_id ? { causation_id } : {}),
    });
    const subject = subjects.evt(site, actor, name);
    await publishRecorded(this.js, this.recorder, codec, subject, envelope);
  }
}
