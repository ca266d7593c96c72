// Loaded before every test file (scripts/run-tests.mjs): uvu runs `before`/`after` hooks inside
// a `try … finally { return }`, which drops their errors; a file whose set-up failed then
// reports 0 passed with no reason. This prints a hook's error before uvu drops it.
import { test } from 'uvu';

type Register = typeof test.before;

function printing(register: Register, which: string): Register {
  const wrapped = ((fn: Parameters<Register>[0]) =>
    register(async (ctx) => {
      try {
        await fn(ctx);
      } catch (e) {
        process.stderr.write(`\n[${which} hook] ${(e as Error)?.stack ?? String(e)}\n`);
        throw e;
      }
    })) as Register;
  wrapped.each = register.each;
  return wrapped;
}

test.before = printing(test.before, 'before');
test.after = printing(test.after, 'after');
