/** What a reviewer reads in `omk plan` text and Markdown: exposure, concurrency asked vs held, monthly cost with warm windows, price and availability caveats. */
import { describe, expect, it } from "vitest";
import { availabilityNote, planMarkdown } from "../../cli/commands/plan-markdown";
import { planText } from "../../cli/commands/plan";
import { modelMonthlyUsd, warmHoursPerMonth } from "../../components/sizing/cost";
import { plan, stackConfig } from "../harness/stack";

describe("warm windows in the monthly cost", () => {
  it.each([
    // Office hours: 10 h × 5 days a week, 730/168 weeks a month.
    [{ start: "0 8 * * 1-5", end: "0 18 * * 1-5" }, Math.round(10 * 5 * (730 / 168) * 10) / 10],
    // Overnight, every day.
    [{ start: "30 22 * * *", end: "30 6 * * *" }, Math.round(8 * 7 * (730 / 168) * 10) / 10],
    [{ start: "0 9 * * 0,6", end: "0 12 * * 0,6" }, Math.round(3 * 2 * (730 / 168) * 10) / 10],
    // Shapes the kit does not read: the plan says the cost is not estimated rather than guess.
    [{ start: "0 8 1 * *", end: "0 18 1 * *" }, null],
    [{ start: "0 8 * * 1-5", end: "0 18 * * 1-4" }, null],
  ])("%j holds replicas %s h/month", (w, hours) => {
    expect(warmHoursPerMonth(w)).toBe(hours);
  });

  it("a scale-to-zero model costs its windows; a model with a minimum costs it all month", () => {
    const window = { start: "0 8 * * 1-5", end: "0 18 * * 1-5", replicas: 1 };
    expect(modelMonthlyUsd({ replicas: { min: 0, max: 2 }, replicaHourlyUsd: 2, warmWindows: [window] })).toEqual({ min: Math.round(217.3 * 2), max: 2920, windowsCounted: true });
    expect(modelMonthlyUsd({ replicas: { min: 1, max: 2 }, replicaHourlyUsd: 2, warmWindows: [window] }).min).toBe(1460);
    expect(modelMonthlyUsd({ replicas: { min: 1, max: 3 }, replicaHourlyUsd: 2, warmWindows: [{ ...window, replicas: 2 }] }).min).toBe(Math.round((730 + 217.3) * 2));
  });
});

describe("plan output", async () => {
  const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
  const p = await plan(stackConfig([
    { id: "Qwen/Qwen3-8B", maxModelLen: 8192, concurrency: 2, exposure: "public", replicas: { min: 1, max: 2 } },
    { id: "Qwen/Qwen3-4B", maxModelLen: 8192, replicas: { min: 0, max: 1 }, autoscaling: { warmWindows: [{ start: "0 8 * * 1-5", end: "0 18 * * 1-5" }] } },
  ], { "omk:traffic": { domain: "llm.example.com", certificateArn: cert } }));

  it("Markdown shows each model's exposure, the concurrency asked and held, and $/month with warm windows", () => {
    const md = planMarkdown(p);
    expect(md).toContain("| model | placement | GPUs | context × concurrency (holds) | replicas | $/h (min–max) | $/month (min–max) | cold start | exposure | routing | from zero | endpoint (models) |");
    const row = (name: string) => md.split("\n").find((l) => l.startsWith(`| \`${name}\``))!;
    const eight = p.models.find((m) => m.name === "qwen3-8b")!;
    expect(row("qwen3-8b")).toContain(`8,192 × 2 (${eight.maxConcurrency})`);
    expect(row("qwen3-8b")).toContain("| public | prefix-aware (vLLM router) | never | https://qwen3-8b.llm.example.com/v1 (qwen3-8b) |");
    expect(row("qwen3-4b")).toMatch(/\| ~\$[\d,]+–\$[\d,]+ \(warm windows\) \|/);
    expect(row("qwen3-4b")).toContain("| internal |");
    // Woken by the first request: the worst case a reviewer should know (the uncached cold start).
    const fourMinutes = (p.models.find((m) => m.name === "qwen3-4b")!.firstRequestSeconds ?? 0) / 60;
    expect(fourMinutes).toBeGreaterThan(1);
    expect(row("qwen3-4b")).toContain(`| on request, first response ≤ ~${fourMinutes.toFixed(1)} min (est.) |`);
    // The stack's monthly total counts the scale-to-zero model only for its windows.
    const four = p.models.find((m) => m.name === "qwen3-4b")!;
    expect(four.monthlyUsd.min).toBe(Math.round(217.3 * four.hourlyUsdPerReplica));
    expect(p.monthlyUsd.min).toBe(Math.round(eight.monthlyUsd.min + four.monthlyUsd.min + p.fixedCost.hourlyUsd * 730));
  });

  it("text says the same", () => {
    const text = planText(p);
    expect(text).toMatch(/qwen3-4b[\s\S]*cost .*\/month \(min: its warm windows\)/);
    expect(text).toMatch(/endpoint   https:\/\/qwen3-8b\.llm\.example\.com\/v1 \(public, API key required\); models qwen3-8b/);
    expect(text).toMatch(/qwen3-4b[\s\S]*from zero  wakes on the first request .*worst-case first response ~[\d.]+ min \(ESTIMATE.*held up to [\d.]+ min, then 503 with Retry-After/);
  });

  it("marks types a region only prices (availability unconfirmed) or is assumed to sell", () => {
    expect(availabilityNote("listed")).toBe("");
    expect(availabilityNote("priced-only")).toMatch(/availability not confirmed/);
    expect(availabilityNote("assumed")).toMatch(/assumed/);
  });
});
