#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx omk` works right after `npm ci` with no build step.
require("tsx/cjs/api").register();
const { main } = require("../omk.ts");

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`omk: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
