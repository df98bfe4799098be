#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx omk` works right after `npm ci` with no build step.
require("tsx/cjs/api").register();
// `omk models | head` closes the pipe early: that is not an error.
process.stdout.on("error", (err) => { if (err.code === "EPIPE") process.exit(0); throw err; });
const { main } = require("../omk.ts");

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`omk: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
