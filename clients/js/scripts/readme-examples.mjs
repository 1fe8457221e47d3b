// Copies the ```ts examples of the two READMEs into .examples/, one module
// each, and the guide's (docs/guide.md, one walk through) into one module,
// after a prelude that declares what the snippets take from their
// surroundings (the mini-program's globals, the page's helpers), so that
// `tsc` checks them against the SDK's declarations.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '.examples');
const readmes = [join(here, '..', 'README.md'), join(here, '..', '..', '..', 'README.md')];

const prelude = `// Generated from the READMEs by scripts/readme-examples.mjs.
declare const wx: any;
declare function Page(page: Record<string, any> & ThisType<any>): void;
declare const process: { env: Record<string, string | undefined> };
declare const venueId: string;
declare function setOffline(offline: boolean): void;
declare const friendUserId: string;
declare function reloadDaySheet(): void;
declare function applyToSheet(event: string, data: unknown): void;
declare function render(slots: unknown[]): void;
export {};
`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out);
let n = 0;
for (const file of readmes) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)) {
    const indent = m[1];
    const body = m[2].split('\n').map((l) => l.slice(indent.length)).join('\n');
    n += 1;
    // A snippet that does not make its own client uses the page's.
    const client = /const client\b/.test(body)
      ? ''
      : "declare const client: import('booking-engine-client').BookingClient;\n";
    writeFileSync(join(out, `example-${n}.ts`), `${prelude}${client}\n${body}`);
  }
}
const guide = readFileSync(join(here, '..', '..', '..', 'docs', 'guide.md'), 'utf8');
const steps = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
writeFileSync(join(out, 'guide.ts'), `${prelude}\n${steps.join('\n')}`);
if (n === 0 || steps.length === 0) throw new Error('no ```ts examples found in the READMEs and the guide');
console.log(`${n} README examples and ${steps.length} steps of the guide in .examples/`);
