// Every temporary file of the run (CDKTF's Testing outdirs, private mariadbd
// data directories, fixture trees) goes into one directory, removed at the end,
// so a run leaves nothing behind in /tmp. Workers inherit TMPDIR from here.
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export default function globalSetup(): void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gs-jest-'));
  process.env.GS_JEST_TMPDIR = root;
  process.env.TMPDIR = root;
}
