import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Appends one receipt line per task to `receipts.log`. The runtime's effect journal
 * keeps a redelivered task from writing a second line.
 */
export async function writeReceipt(
  dir: string,
  idempotencyKey: string,
  task: { task_id: string; text: string },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const line = `${task.task_id}\t${task.text.length}\t${idempotencyKey}\n`;
  await appendFile(join(dir, 'receipts.log'), line);
  return `receipt:${task.task_id}`;
}
