#!/usr/bin/env node
// Run before an example's dev server and build ("predev", "prestart", "prebuild"). The example gets sipstate as a user
// does, as a package: `npm install` copies the repository root's packed files into node_modules/sipstate (the example's
// .npmrc sets install-links, so `file:../..` is packed, not symlinked). In a fresh clone nothing is built yet: the copy
// has no dist/, and the bundler's error would be a page of stack trace. Say what to run instead, in one line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

if (!existsSync(join(process.cwd(), 'node_modules/sipstate/dist/index.js'))) {
  console.error(
    'sipstate is not built: run `npm ci && npm run build` in the repository root, then `npm install` here again',
  );
  process.exit(1);
}
