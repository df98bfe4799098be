/**
 * Composes the kit for one resolved stack: the platform (network, cluster, GPU pools, add-ons) and one
 * ModelService per model. Used by `index.ts` (real Pulumi runs) and by the offline engine behind
 * `omk plan` and the tests, so both see exactly the same resources.
 */
import * as pulumi from "@pulumi/pulumi";
import type { InfraPlan } from "./aws/preflight";
import { planInfrastructure } from "./aws/preflight";
import { Platform } from "./aws/platform";
import { resolveStack, type RawStackConfig, type ResolvedStack } from "./config/validate";
import { ModelService } from "./serving/model-service";
import type { PlacementSummary } from "./serving/placement-summary";

export interface KitOutputs {
  readonly environment: string;
  readonly region: string;
  readonly clusterName: pulumi.Output<string>;
  readonly models: pulumi.Output<PlacementSummary[]>;
  readonly infra: InfraPlan;
}

export class OpenModelKit extends pulumi.ComponentResource {
  public readonly platform: Platform;
  public readonly services: readonly ModelService[];
  public readonly models: pulumi.Output<PlacementSummary[]>;

  constructor(name: string, args: { stack: ResolvedStack; infra: InfraPlan; stackName: string }, opts?: pulumi.ComponentResourceOptions) {
    const { stack, infra } = args;
    super("omk:index:Kit", name, { environment: stack.environment, region: stack.region }, opts);
    const tags = { "omk.dev/environment": stack.environment, "omk.dev/stack": args.stackName, "app.kubernetes.io/managed-by": "open-model-kit" };
    this.platform = new Platform(`${name}-platform`, { stack, infra, tags }, { parent: this });
    this.services = stack.models.map((model) => {
      const placed = infra.pools.find((p) => p.pool.models.includes(model.name))!;
      return new ModelService(`${name}-${model.name}`, { model, region: stack.region, pool: { name: placed.pool.name, zones: placed.zones } }, { parent: this });
    });
    this.models = pulumi.all(this.services.map((s) => s.placement));
    this.registerOutputs({ models: this.models });
  }
}

/** Builds the kit for a resolved stack and its preflight; the component is named after the environment. */
export function buildKit(stack: ResolvedStack, infra: InfraPlan, stackName = pulumi.getStack()): KitOutputs & { kit: OpenModelKit } {
  const kit = new OpenModelKit(`omk-${stack.environment}`, { stack, infra, stackName });
  return { kit, environment: stack.environment, region: stack.region, clusterName: kit.platform.clusterName, models: kit.models, infra };
}

/** The whole program: validate, preflight, build. Throws ConfigError (all problems) before registering anything. */
export async function runKit(raw: RawStackConfig, source: string): Promise<KitOutputs & { kit: OpenModelKit; stack: ResolvedStack }> {
  const resolved = resolveStack(raw, source);
  if (!resolved.ok) throw resolved.error;
  const infra = await planInfrastructure(resolved.stack, source);
  return { ...buildKit(resolved.stack, infra), stack: resolved.stack };
}
