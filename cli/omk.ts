/** The `omk` command: argument parsing only; each command lives in cli/commands/. */
import { redactCredentials } from "../components/credentials";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";

/**
 * Loads a command's module when it runs, so `omk --help` and `omk --version` never load the Pulumi SDKs. The bin
 * runs under tsx's CommonJS hook, which compiles a required .ts file; tests call `main()` under Vite, whose
 * `import()` does.
 */
async function load<T>(name: string): Promise<T> {
  try {
    return require(`./commands/${name}`) as T;
  } catch (e) {
    const notFound = (e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && (e as Error).message.includes(`commands/${name}'`);
    if (!notFound) throw e;
    return (await import(`./commands/${name}.ts`)) as T;
  }
}

/** A positive whole number for `flag`, with an example that fits it. */
function integer(flag: string, example: number) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`${flag} takes a positive whole number, e.g. ${example}.`);
    return Number(value);
  };
}

/** The kit's version, from package.json (no build step: read at run time). */
export function kitVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

/** A positive number for `flag`. */
function positiveNumber(flag: string, example: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes a positive number, e.g. ${example}.`);
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("takes a number between 0.5 and 0.98, e.g. 0.9.");
  return n;
}

export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

const stdio: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], given: Io = stdio): Promise<number> {
  // The last line of defence: nothing shaped like a credential (hf_…, sk-…, AWS keys, URLs with a password, …)
  // leaves the CLI, whichever flag or file it came from (components/credentials.ts).
  const io: Io = { out: (s) => given.out(redactCredentials(s)), err: (s) => given.err(redactCredentials(s)) };
  let code = 0;
  const program = new Command("omk")
    .description("open-model-kit: size, plan and deploy open-weight LLMs on your AWS account")
    .version(kitVersion(), "-V, --version", "print the kit's version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError("(run the command with --help for its options)");

  program.command("models").description("list the model catalog")
    .addOption(new Option("--json", "machine-readable output").conflicts("markdown"))
    .option("--markdown", "a Markdown table (the README's catalog)")
    .action(async (o: { json?: boolean; markdown?: boolean }) => { code = (await load<typeof import("./commands/models")>("models")).modelsCommand(o, io.out); });

  program.command("stacks").description("list the shipped stacks with their models, GPUs and $/hour")
    .addOption(new Option("--json", "machine-readable output").conflicts(["markdown", "matrix"]))
    .addOption(new Option("--markdown", "a Markdown table (the README's stack table)").conflicts("matrix"))
    .option("--matrix", "the CI matrix of cloud stacks with their policy config, as one line of JSON")
    .option("--changed-since <ref>", "with --matrix: only the stacks a change since this git ref can affect (all when the kit's code changed)")
    .action(async (o: { json?: boolean; markdown?: boolean; matrix?: boolean; changedSince?: string }) => {
      if (o.changedSince && !o.matrix) {
        io.err("omk stacks: --changed-since filters the CI matrix; use it with --matrix, e.g. omk stacks --matrix --changed-since HEAD~1.");
        code = 1;
        return;
      }
      let only: readonly string[] | undefined;
      if (o.changedSince) {
        try {
          only = (await load<typeof import("./commands/diff")>("diff")).affectedStacks(o.changedSince).stacks;
        } catch (e) {
          io.err(`omk stacks: --changed-since: ${(e as Error).message.replace("--base", "--changed-since")}`);
          code = 1;
          return;
        }
      }
      code = (await load<typeof import("./commands/stacks")>("stacks")).stacksCommand({ ...o, only }, io.out, io.err);
    });

  program.command("instances").description("list GPU instance types with prices and availability in a region")
    .option("--region <region>", "AWS region", "us-east-1")
    .addOption(new Option("--json", "machine-readable output").conflicts("markdown"))
    .option("--markdown", "a Markdown table (the README's catalog)")
    .action(async (o: { region: string; json?: boolean; markdown?: boolean }) => { code = (await load<typeof import("./commands/instances")>("instances")).instancesCommand(o, io.out, io.err); });

  program.command("size").description("find the cheapest GPU placement for a model (or evaluate a pinned one)")
    .option("--model <id>", "catalog model id, e.g. Qwen/Qwen3-8B (with --model-config: the Hub repo to serve)")
    .option("--model-config <file>", "size a model the catalog lacks from its Hugging Face config.json")
    .option("--region <region>", "AWS region", "us-east-1")
    .option("--precision <p>", "bf16 | fp8 | int8 | int4 | mxfp4 | nvfp4 (default: the model's native precision)")
    .option("--max-model-len <n>", "context length per sequence", integer("--max-model-len", 32768))
    .option("--concurrency <n>", "sequences at max-model-len each replica must hold (default 4)", integer("--concurrency", 4))
    .option("--gpu-memory-utilization <f>", "vLLM --gpu-memory-utilization (default 0.9)", fraction)
    .option("--kv-cache-dtype <d>", "auto | fp8")
    .option("--instance <type>", "evaluate this EC2 instance type instead of searching")
    .option("--tp <n>", "with --instance: tensor-parallel size", integer("--tp", 2))
    .option("--pp <n>", "with --instance: pipeline-parallel size", integer("--pp", 2))
    .option("--multi-node <m>", "when-needed (default: span nodes only if no single node fits) | allow (cheapest wins)")
    .option("--requests-per-second <r>", "size for a load: requests per second (with --input-tokens, --output-tokens)", positiveNumber("--requests-per-second", 5))
    .option("--input-tokens <n>", "the load's prompt tokens per request", integer("--input-tokens", 2000))
    .option("--output-tokens <n>", "the load's generated tokens per request", integer("--output-tokens", 500))
    .option("--ttft-ms <ms>", "the load's time-to-first-token target", positiveNumber("--ttft-ms", 2000))
    .option("--tpot-ms <ms>", "the load's time-per-output-token target", positiveNumber("--tpot-ms", 40))
    .option("--headroom <f>", "share of each replica's capacity kept free for the load (default 0.25)", (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 0.9) throw new InvalidArgumentError("--headroom takes a share between 0 and 0.9, e.g. 0.25.");
      return n;
    })
    .option("--adapters <n>", "LoRA adapters served beside the model: their GPU memory comes out of the KV cache", integer("--adapters", 2))
    .option("--adapter-rank <r>", "with --adapters: the largest adapter rank (default 16)", integer("--adapter-rank", 16))
    .option("--max-loras <n>", "with --adapters: adapters one batch may mix (default: their number, at most 8)", integer("--max-loras", 2))
    .option("--json", "machine-readable output")
    .action(async (o) => {
      if (!o.model && !o.modelConfig) {
        io.err("omk size: give --model <id> (see `npx omk models`) or --model-config <config.json> for a model the catalog lacks.");
        code = 1;
        return;
      }
      code = (await load<typeof import("./commands/size")>("size")).sizeCommand(o, io.out, io.err);
    });

  program.command("perf").description("predict throughput, TTFT and TPOT of a model on an instance for a request shape and concurrency (ESTIMATES)")
    .requiredOption("--model <id>", "catalog model id")
    .option("--instance <type>", "EC2 instance type (default: the cheapest one the model fits, as `omk size` picks)")
    .option("--region <region>", "AWS region (prices)", "us-east-1")
    .option("--tp <n>", "tensor-parallel size (default: the kit's layout)", integer("--tp", 2))
    .option("--pp <n>", "pipeline-parallel size", integer("--pp", 2))
    .option("--dp <n>", "data-parallel size (checked against the kit's layout)", integer("--dp", 8))
    .option("--expert-parallel", "expert parallelism (MoE)")
    .option("--precision <p>", "bf16 | fp8 | int8 | int4 | mxfp4 | nvfp4")
    .requiredOption("--input-tokens <n>", "prompt tokens per request", integer("--input-tokens", 2000))
    .requiredOption("--output-tokens <n>", "generated tokens per request", integer("--output-tokens", 500))
    .option("--concurrency <n>", "concurrent clients, one request in flight each", integer("--concurrency", 16), 1)
    .option("--json", "machine-readable output")
    .action(async (o) => { code = (await load<typeof import("./commands/perf")>("perf")).perfCommand(o, io.out, io.err); });

  const endpointOptions = (c: Command) => c
    .option("--stack <name>", "read the endpoint, model names and API keys from this deployed stack's outputs (runs `pulumi stack output --show-secrets`)")
    .option("--endpoint <url>", "the model's endpoint instead, e.g. https://qwen3-8b.llm.example.com/v1")
    .option("--model <name>", c.name() === "smoke" ? "the served model name (with --stack: check only this one of its models; default all)" : "the served model name (with --stack: needed when the stack serves several models)")
    .option("--api-key <key>", "with --endpoint: the model's API key; better in the OMK_API_KEY environment variable, which keeps it off the command line and shell history")
    .addHelpText("after", "\nThe API key is never printed. With --endpoint, omk reads it from --api-key or else from OMK_API_KEY.");

  endpointOptions(program.command("smoke").description("after `pulumi up`: check each model's endpoint (models list, chat streamed and not, served name, auth refusals, reasoning) and print a pass/fail table"))
    .option("--expect-reasoning", "with --endpoint: the server runs a reasoning parser, so reasoning must come apart from the answer")
    .option("--public-only", "with --stack: check only the models exposed publicly and skip the others (for a runner outside the VPC, e.g. GitHub-hosted)")
    .option("--timeout <seconds>", "per request, without a byte from the server (default 30)", positiveNumber("--timeout", 30))
    .option("--wait <duration>", "retry while the model is starting (DNS, no listener, 502/503/504) for up to this long, e.g. 20m")
    .option("--retry-every <seconds>", "with --wait: seconds between tries (default 10)", positiveNumber("--retry-every", 10))
    .option("--json", "machine-readable output")
    .action(async (o) => { code = await (await load<typeof import("./commands/smoke")>("smoke")).smokeCommand(o, io); });

  endpointOptions(program.command("bench").description("measure one model's endpoint under a bounded, reproducible load: TTFT, TPOT, ITL (median, p90, p99), tokens/s, requests/s; with --stack beside the kit's prediction"))
    .option("--concurrency <n>", "closed loop: clients with one request in flight each (default 1)", integer("--concurrency", 8))
    .option("--rate <r>", "open loop instead: requests started per second", positiveNumber("--rate", 2))
    .option("--arrival <a>", "with --rate: poisson (default; seeded) | fixed (evenly spaced)")
    .option("--seed <n>", "seed of the Poisson arrivals and the synthetic prompts (default 1)", integer("--seed", 1))
    .option("--prompt-nonce <text>", "leads every prompt; a new random one per run by default, so no run hits the last run's prefix cache (give one to repeat a run exactly)")
    .option("--input-tokens <n>", "prompt length of each request, about 0.75 words per token (default 256)", integer("--input-tokens", 256))
    .option("--output-tokens <n>", "tokens generated per request: max_tokens with ignore_eos (default 128)", integer("--output-tokens", 128))
    .option("--requests <n>", "requests to send (default 32)", integer("--requests", 32))
    .option("--duration <d>", "time limit of the whole run; requests still running then are cancelled (default 5m)")
    .option("--timeout <seconds>", "per request, without a byte from the server (default 120)", positiveNumber("--timeout", 120))
    .option("--json", "machine-readable output (keys ttftMs, tpotMs, itlMs with median/p90/p99/mean, outputTokensPerSecond, requestsPerSecond, errors, …)")
    .option("--record <file>", "with --stack: write the measurement as an entry of components/sizing/perf/data/measurements.json")
    .action(async (o) => { code = await (await load<typeof import("./commands/bench")>("bench")).benchCommand(o, io); });

  program.command("plan").description("validate a stack and preview what it creates, offline")
    .option("--stack <name>", "stack in stacks/Pulumi.<name>.yaml (default: dev)")
    .option("--config <file>", "any file in Pulumi stack config format")
    .option("--json", "machine-readable output")
    .option("--format <f>", "text | markdown (for PR comments) | json", "text")
    .option("--out <dir>", "write plan.json and manifests/ to this folder")
    .option("--policy-config <file>", "policy pack config (default: policies/config/<environment>.json)")
    .action(async (o) => { code = await (await load<typeof import("./commands/plan")>("plan")).planCommand(o, io.out, io.err); });

  program.command("validate").description("check a stack's config and its environment's policy config only: no program run, no manifests (fast)")
    .option("--stack <name>", "stack in stacks/Pulumi.<name>.yaml (default: dev)")
    .option("--config <file>", "any file in Pulumi stack config format")
    .option("--policy-config <file>", "policy pack config (default: policies/config/<environment>.json)")
    .action(async (o) => { code = await (await load<typeof import("./commands/validate")>("validate")).validateCommand(o, io.out, io.err); });

  program.command("diff").description("what a change does to each stack, offline: GPUs, $/hour, resources added/changed/replaced")
    .option("--base <ref>", "git ref to compare with, e.g. origin/main (required)")
    .option("--stack <name>", "only this stack (default: every stack that changed)")
    .addOption(new Option("--format <f>", "markdown | json").choices(["markdown", "json"]).default("markdown"))
    .action(async (o) => {
      if (!o.base) {
        io.err("omk diff: give the git ref to compare with, e.g. --base origin/main (a pull request's target branch).");
        code = 1;
        return;
      }
      code = await (await load<typeof import("./commands/diff")>("diff")).diffCommand(o, io.out, io.err);
    });

  program.command("sync").description("rebuild everything generated from stacks/ and the catalog: README sections and per-stack snapshots")
    .option("--check", "only list what is out of date (exit 1 when anything is)")
    .action(async (o: { check?: boolean }) => { code = await (await load<typeof import("./commands/sync")>("sync")).syncCommand(o, io.out, io.err); });

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === "string" && ce.code.startsWith("commander.")) return ce.code === "commander.helpDisplayed" || ce.code === "commander.version" ? 0 : ce.exitCode ?? 1;
    io.err(`omk: ${(e as Error).message}`);
    return 1;
  }
  return code;
}
