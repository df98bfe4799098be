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
import { findInstance } from "./catalog/instances";
import { ModelService, type ServiceSummary } from "./serving/model-service";
import { ServingBase } from "./serving/serving-base";
import { servingWarnings } from "./serving/warnings";

export interface KitOutputs {
  readonly environment: string;
  readonly region: string;
  readonly clusterName: pulumi.Output<string>;
  readonly models: pulumi.Output<ServiceSummary[]>;
  readonly infra: InfraPlan;
  /** Non-blocking findings (preflight and serving), for `pulumi.log.warn` and the plan's notes. */
  readonly warnings: readonly string[];
}

export class OpenModelKit extends pulumi.ComponentResource {
  public readonly platform: Platform;
  public readonly services: readonly ModelService[];
  public readonly models: pulumi.Output<ServiceSummary[]>;

  constructor(name: string, args: { stack: ResolvedStack; infra: InfraPlan; stackName: string }, opts?: pulumi.ComponentResourceOptions) {
    const { stack, infra } = args;
    super("omk:index:Kit", name, { environment: stack.environment, region: stack.region }, opts);
    const tags = { "omk.dev/environment": stack.environment, "omk.dev/stack": args.stackName, "app.kubernetes.io/managed-by": "open-model-kit" };
    this.platform = new Platform(`${name}-platform`, { stack, infra, tags }, { parent: this });
    const hfToken = stack.hfToken === undefined ? undefined
      // Offline, a `secure:` value is ciphertext the kit cannot (and must not) decrypt.
      : pulumi.secret(typeof stack.hfToken === "string" ? stack.hfToken : "(encrypted in the stack file; not decrypted offline)");
    const base = new ServingBase(`${name}-serving`, {
      namespace: stack.serving.namespace, hfToken, needsModelStore: stack.models.some((m) => m.weightSource === "s3"),
      ebsProvisioner: this.platform.ebsProvisioner, provider: this.platform.provider, tags,
    }, { parent: this });
    this.services = stack.models.map((model) => {
      const placed = infra.pools.find((p) => p.pool.models.includes(model.name));
      return new ModelService(`${name}-${model.name}`, {
        model, region: stack.region, pool: placed ? { name: placed.pool.name, zones: placed.zones, instance: findInstance(model.placement.instanceType)! } : null,
        base, namespace: stack.serving.namespace, image: stack.serving.image, cpuImage: stack.serving.cpuImage, clusterName: this.platform.clusterName,
        provider: this.platform.provider, dependsOn: [this.platform], tags,
      }, { parent: this });
    });
    this.models = pulumi.all(this.services.map((s) => s.summary));
    this.registerOutputs({ models: this.models });
  }
}

/** Builds the kit for a resolved stack and its preflight; the component is named after the environment. */
export function buildKit(stack: ResolvedStack, infra: InfraPlan, stackName = pulumi.getStack()): KitOutputs & { kit: OpenModelKit } {
  const kit = new OpenModelKit(`omk-${stack.environment}`, { stack, infra, stackName });
  return { kit, environment: stack.environment, region: stack.region, clusterName: kit.platform.clusterName, models: kit.models, infra, warnings: [...infra.warnings, ...servingWarnings(stack)] };
}

/** The whole program: validate, preflight, build. Throws ConfigError (all problems) before registering anything. */
export async function runKit(raw: RawStackConfig, source: string): Promise<KitOutputs & { kit: OpenModelKit; stack: ResolvedStack }> {
  const resolved = resolveStack(raw, source);
  if (!resolved.ok) throw resolved.error;
  const infra = await planInfrastructure(resolved.stack, source);
  return { ...buildKit(resolved.stack, infra), stack: resolved.stack };
}
