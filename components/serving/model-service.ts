/**
 * One served model: today it carries the sizing decision (placement, GPUs, cost) so reviewers see it in
 * the preview; the GPU pool, vLLM server and autoscaling for the model attach here as children.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedModel } from "../config/validate";
import { placementSummary, type PlacementSummary } from "./placement-summary";

export interface ModelServiceArgs {
  /** The model as resolved and sized from the stack config (never re-read from config here). */
  readonly model: ResolvedModel;
  /** Region the placement was priced in. */
  readonly region: string;
  /** The GPU pool the model runs in and the AZs it may use. */
  readonly pool: { readonly name: string; readonly zones: readonly string[] };
}

export class ModelService extends pulumi.ComponentResource {
  /** The sizing decision as plain data: instance type, nodes, TP/PP, memory, $/hour. */
  public readonly placement: pulumi.Output<PlacementSummary & { pool: string; zones: string[] }>;

  constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const summary = { ...placementSummary(args.model, args.region), pool: args.pool.name, zones: [...args.pool.zones] };
    // Inputs are recorded so the offline plan and `pulumi preview` both show the sizing decision.
    super("omk:serving:ModelService", name, { placement: summary }, opts);
    this.placement = pulumi.output(summary);
    this.registerOutputs({ placement: this.placement });
  }
}
