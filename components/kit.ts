/**
 * Composes the kit for one resolved stack. Used by `index.ts` (real Pulumi runs) and by the offline engine
 * behind `omk plan` and the tests, so both see exactly the same resources.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedStack } from "./config/validate";
import { ModelService } from "./serving/model-service";
import type { PlacementSummary } from "./serving/placement-summary";

export interface KitOutputs {
  readonly environment: string;
  readonly region: string;
  readonly models: pulumi.Output<PlacementSummary[]>;
}

export class OpenModelKit extends pulumi.ComponentResource {
  public readonly services: readonly ModelService[];
  public readonly models: pulumi.Output<PlacementSummary[]>;

  constructor(name: string, stack: ResolvedStack, opts?: pulumi.ComponentResourceOptions) {
    super("omk:index:Kit", name, { environment: stack.environment, region: stack.region }, opts);
    this.services = stack.models.map((model) => new ModelService(`${name}-${model.name}`, { model, region: stack.region }, { parent: this }));
    this.models = pulumi.all(this.services.map((s) => s.placement));
    this.registerOutputs({ models: this.models });
  }
}

/** Builds the kit for a resolved stack; the component is named after the environment. */
export function buildKit(stack: ResolvedStack): KitOutputs & { kit: OpenModelKit } {
  const kit = new OpenModelKit(`omk-${stack.environment}`, stack);
  return { kit, environment: stack.environment, region: stack.region, models: kit.models };
}
