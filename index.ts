// The Pulumi program: load and validate the stack config, then build the kit. Nothing else.
import * as pulumi from "@pulumi/pulumi";
import { fromPulumiConfig } from "./components/config/load";
import { resolveStack } from "./components/config/validate";
import { buildKit } from "./components/kit";

const resolved = resolveStack(fromPulumiConfig(pulumi.runtime.allConfig()), `stack ${pulumi.getStack()}`);
// RunError prints the message alone (every config problem), without a stack trace.
if (!resolved.ok) throw new pulumi.RunError(resolved.error.message);

const kit = buildKit(resolved.stack);
export const environment = kit.environment;
export const region = kit.region;
export const models = kit.models;
