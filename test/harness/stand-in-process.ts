/**
 * The stand-in in its own Node process, for timing tests: in the test's process its timers share one event loop with
 * the client being measured (and with whatever else the test worker runs), so under load a first token could leave
 * late because the client was busy, which is not what a real server does. Options cross as JSON (no fault function).
 * Run directly, it starts the stand-in and prints its URL.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startStandIn, type StandInOptions } from "./openai-stand-in";

export interface StandInProcess {
  readonly url: string;
  close(): Promise<void>;
}

export async function startStandInProcess(options: Omit<StandInOptions, "fault">): Promise<StandInProcess> {
  // tsx compiles this file in the child, as it does for the omk bin (node --import tsx: Node ≥ 20.6).
  const child = spawn(process.execPath, ["--import", "tsx", __filename, JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the stand-in process exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  return {
    url,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill();
    }),
  };
}

if (require.main === module) {
  void startStandIn(JSON.parse(process.argv[2] ?? "{}") as StandInOptions).then((s) => {
    process.stdout.write(`${s.url}\n`);
    process.once("SIGTERM", () => void s.close().then(() => process.exit(0)));
  });
}
