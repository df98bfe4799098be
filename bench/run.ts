/**
 * Benchmarks, run by hand with `npm run bench` (never inside `npm test`):
 *  1. size every catalog model in every known region (the search `omk size` and `omk plan` run);
 *  2. wall time of `omk plan` on the default stack, as a user runs it (a fresh node process each time).
 *  3. in-process plans of a stack with 1, 10 and 50 models: cost per model must grow no worse than linearly.
 *  4. CLI start-up as ratios measured in this one run, so they hold on any machine: `omk --help` no slower than
 *     a process that only imports the Pulumi SDKs; `omk plan` at most 2× that import; `omk diff` of a change
 *     to one stack at most 3× one `omk plan`.
 *  5. the serving-performance model against published measurements (bench/calibrate.ts): its error distribution.
 * Goals: the full sizing sweep under 5 s, peak RSS under 500 MiB, per-model plan time at 50 models ≤ 1.5 × that
 * at 10, and the start-up ratios above (machine-independent, unlike a wall-clock goal for `omk plan`).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { MODELS } from "../components/catalog/models";
import { KNOWN_REGIONS } from "../components/catalog/regions";
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_MODEL_LEN_CAP } from "../components/config/schema";
import { sizeModel } from "../components/sizing/placement";
import { planStack } from "../cli/engine/plan";
import { accuracyMarkdown } from "../components/sizing/perf/accuracy";

const GOALS = { sweepMs: 5000, rssMiB: 500 };

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function sweep(explain: boolean) {
  const times: number[] = [];
  let fits = 0;
  const start = performance.now();
  for (const model of MODELS) {
    for (const region of KNOWN_REGIONS) {
      const t = performance.now();
      const r = sizeModel({
        model, region, precision: model.nativePrecision, maxModelLen: Math.min(model.context.derivedMax, DEFAULT_MAX_MODEL_LEN_CAP),
        concurrency: DEFAULT_CONCURRENCY, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto",
      }, { explain });
      times.push(performance.now() - t);
      if (r.ok) fits++;
    }
  }
  return { totalMs: performance.now() - start, calls: times.length, fits, p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times) };
}

function planRuns(n: number) {
  const bin = path.join(__dirname, "..", "cli", "bin", "omk.js");
  execFileSync(process.execPath, [bin, "plan"], { stdio: "ignore" }); // warm the tsx cache, as a second run would
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    execFileSync(process.execPath, [bin, "plan"], { stdio: "ignore" });
    times.push(performance.now() - t);
  }
  return { runs: n, median: percentile(times, 50), max: Math.max(...times) };
}

const ROOT = path.join(__dirname, "..");
const BIN = path.join(ROOT, "cli", "bin", "omk.js");

/** Median wall time of a fresh node process over `n` runs (after one warm-up run). */
function medianMs(args: readonly string[], n = 3, cwd = ROOT): number {
  const runOnce = () => {
    const t = performance.now();
    try {
      execFileSync(process.execPath, args, { cwd, stdio: "ignore" });
    } catch {
      // exit codes 1/2 still measure the run
    }
    return performance.now() - t;
  };
  runOnce();
  return percentile(Array.from({ length: n }, runOnce), 50);
}

/** A repository copy whose one commit is this working tree, with one stack file then edited: what a PR diff plans. */
function diffSandbox(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-bench-diff-"));
  const files = execFileSync("git", ["-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard"], { encoding: "utf8" }).split("\n").filter((f) => f && f !== "node_modules" && existsSync(path.join(ROOT, f)));
  for (const f of files) cpSync(path.join(ROOT, f), path.join(dir, f));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
  const g = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], { stdio: "ignore" });
  g("init", "--quiet");
  g("add", "--all");
  g("commit", "--quiet", "-m", "base");
  const stack = path.join(dir, "stacks", "Pulumi.dev.yaml");
  writeFileSync(stack, `${readFileSync(stack, "utf8")}  omk:modelDefaults:\n    replicas: {min: 1, max: 3}\n`);
  return dir;
}

function startupRatios() {
  const sdk = medianMs(["-e", "require('tsx/cjs/api').register(); require('@pulumi/pulumi'); require('@pulumi/aws'); require('@pulumi/kubernetes')"]);
  const help = medianMs([BIN, "--help"]);
  const plan = medianMs([BIN, "plan"]);
  const dir = diffSandbox();
  const diff = medianMs([path.join(dir, "cli", "bin", "omk.js"), "diff", "--base", "HEAD"], 3, dir);
  rmSync(dir, { recursive: true, force: true });
  return { sdk, help, plan, diff };
}

/** In-process `omk plan` of a stack serving `n` models (one cluster): time and resources. */
async function planScaling(n: number) {
  const models = Array.from({ length: n }, (_, i) => ({ id: "Qwen/Qwen3-8B", name: `m${i + 1}`, maxModelLen: 8192 }));
  const raw = { "aws:region": "us-east-1", "omk:environment": "bench", "omk:models": models, "omk:capacity": { maxGpus: 1000 } };
  await planStack(raw, { stack: "bench", source: "bench" }); // warm module caches
  const t = performance.now();
  const r = await planStack(raw, { stack: "bench", source: "bench" });
  if (!r.ok) throw r.error;
  return { n, ms: performance.now() - t, resources: r.plan.resources.length };
}

async function main() {
  const cold = sweep(true);
  const warm = sweep(false);
  const plan = planRuns(5);
  const scaling = [];
  for (const n of [1, 10, 50]) scaling.push(await planScaling(n));
  const rssMiB = process.resourceUsage().maxRSS / 1024; // peak, in KiB → MiB
  const ratios = startupRatios();

  const f = (x: number) => x.toFixed(1);
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`);
  console.log("| benchmark | result | goal |");
  console.log("|---|---|---|");
  console.log(`| size ${MODELS.length} models × ${KNOWN_REGIONS.length} regions (${cold.calls} searches, ${cold.fits} fit; with no-fit explanations) | ${f(cold.totalMs)} ms total, p50 ${f(cold.p50)} ms, p95 ${f(cold.p95)} ms, max ${f(cold.max)} ms | < ${GOALS.sweepMs} ms |`);
  console.log(`| same sweep without explanations | ${f(warm.totalMs)} ms total, p50 ${f(warm.p50)} ms | |`);
  console.log(`| \`omk plan\` (default stack, new process) | median ${f(plan.median)} ms, max ${f(plan.max)} ms over ${plan.runs} runs | see the ratio below |`);
  for (const s of scaling) console.log(`| plan a stack of ${s.n} model(s) in-process (${s.resources} resources) | ${f(s.ms)} ms (${f(s.ms / s.n)} ms per model) | |`);
  const [one, ten, fifty] = scaling;
  const growth = (fifty!.ms / fifty!.n) / (ten!.ms / ten!.n);
  console.log(`| per-model plan time, 50 vs 10 models | ×${growth.toFixed(2)} | ≤ ×1.5 (no worse than linear) |`);
  console.log(`| peak RSS of this benchmark process | ${f(rssMiB)} MiB | < ${GOALS.rssMiB} MiB |`);
  const r = (x: number) => `×${x.toFixed(2)}`;
  console.log(`| importing the Pulumi SDKs (pulumi, aws, kubernetes), new process | ${f(ratios.sdk)} ms | (the yardstick) |`);
  console.log(`| \`omk --help\` / that import | ${f(ratios.help)} ms, ${r(ratios.help / ratios.sdk)} | ≤ ×1 |`);
  console.log(`| \`omk plan\` / that import | ${f(ratios.plan)} ms, ${r(ratios.plan / ratios.sdk)} | ≤ ×2 |`);
  console.log(`| \`omk diff\` of one edited stack / one \`omk plan\` | ${f(ratios.diff)} ms, ${r(ratios.diff / ratios.plan)} | ≤ ×3 |`);
  void one;
  console.log("\nServing-performance estimates vs published measurements (predicted / measured − 1):\n");
  console.log(accuracyMarkdown());

  const missed = [cold.totalMs > GOALS.sweepMs && "sizing sweep", rssMiB > GOALS.rssMiB && "memory", growth > 1.5 && "linear plan scaling",
    ratios.help > ratios.sdk && "omk --help vs the SDK import", ratios.plan > 2 * ratios.sdk && "omk plan vs the SDK import", ratios.diff > 3 * ratios.plan && "omk diff vs omk plan"].filter(Boolean);
  if (missed.length) {
    console.error(`Goals missed: ${missed.join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
