// `npm run db:bootstrap -- --env <name> --admin-url mysql://...`: creates or
// updates the function's own database user, its grants and its table,
// idempotently. The logic is in src/database/; this only wires the process.
import { runBootstrapCli } from '../src/database/cli';

runBootstrapCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  // runBootstrapCli answers every failure itself; reaching here is a bug, reported without its message (it could quote a URL).
  process.stderr.write(`db:bootstrap crashed: ${error instanceof Error ? error.name : 'unknown error'}\n`);
  process.exitCode = 1;
});
