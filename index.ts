// The Pulumi program: load and validate the stack config, run the preflight, build the kit. Nothing else.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./components/config/errors";
import { fromPulumiConfig } from "./components/config/load";
import { runKit } from "./components/kit";

export = async () => {
  try {
    const all = pulumi.runtime.allConfig();
    // Values of secret keys (even misspelled ones) are redacted from every error message.
    // `isConfigSecret` is exported by the runtime but untyped (internal); names like *token* are redacted regardless.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    const secretKeys = new Set(Object.keys(all).filter((key) => isSecret?.(key) ?? false));
    const kit = await runKit(fromPulumiConfig(all), `stack ${pulumi.getStack()}`, secretKeys);
    for (const warning of kit.warnings) pulumi.log.warn(warning);
    return {
      environment: kit.environment, region: kit.region, clusterName: kit.clusterName, models: kit.models,
      endpoints: kit.endpoints, apiKeys: kit.apiKeys, dashboard: kit.dashboard,
    };
  } catch (err) {
    // RunError prints the message alone (every config problem, with its fix), without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
};
