// npm links every dependency's `bin` into node_modules/.bin, which npm puts
// first on PATH for every script. The Lambda Node platform package
// (node-linux-<arch>) declares `bin: node`, so without this every tool (jest,
// tsx, the cdktf CLI, whose native pty module is built for the machine's Node
// only) would silently run on the function's Node instead of the machine's.
// The emulator finds the function's Node by package path, not through PATH.
import { lstatSync, readlinkSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const link = path.join(process.cwd(), 'node_modules', '.bin', 'node');
try {
  if (lstatSync(link).isSymbolicLink() && /node-linux-[a-z0-9]+/.test(readlinkSync(link))) rmSync(link);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
