// The SDK's wire types (types/api.d.ts) are generated from the server's
// OpenAPI document: regenerate them from the running binary and require
// the committed file to match, so the types cannot fall behind the API.
// After an API change: `npm run types` with the server running (or
// OPENAPI=<file or URL>).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let server;

before(async () => {
  server = await startServer();
});

after(() => server?.stop());

test('types/api.d.ts is what openapi-typescript makes of the served document', async () => {
  const doc = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).text();
  const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
  try {
    writeFileSync(join(dir, 'openapi.json'), doc);
    const bin = join(root, 'node_modules', '.bin', 'openapi-typescript');
    execFileSync(bin, [join(dir, 'openapi.json'), '-o', join(dir, 'api.d.ts')], { stdio: 'pipe' });
    const fresh = readFileSync(join(dir, 'api.d.ts'), 'utf8');
    const committed = readFileSync(join(root, 'types', 'api.d.ts'), 'utf8');
    assert.ok(fresh === committed, 'types/api.d.ts is stale: run `npm run types` against the new server');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
