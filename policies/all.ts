/** Every policy of the pack, in the order reports list them. Tests and `omk plan` import this, never index.ts. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { gpuQuotaPerModel, gpuQuotaPerStack, maxHourlyCost } from "./gpu-budget";
import { allowedInstances, allowedRegions, kvHeadroom, onDemandInDev } from "./placement";
import { gpuContainers, noPlaintextSecrets, pinnedImages, publicEndpoints } from "./workloads";
import { albTlsPolicy, controlPlaneAccess, controlPlaneLogs, inVpcEndpoints, podSecurityRestricted, remoteCodePinned, trustedRegistries, vllmBehindGuard, vpcFlowLogs } from "./security";

export const ALL_POLICIES: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [
  gpuQuotaPerStack, gpuQuotaPerModel, maxHourlyCost, allowedInstances, allowedRegions,
  gpuContainers, pinnedImages, noPlaintextSecrets, publicEndpoints, onDemandInDev, kvHeadroom,
  podSecurityRestricted, controlPlaneAccess, controlPlaneLogs, trustedRegistries, inVpcEndpoints, vpcFlowLogs, remoteCodePinned, albTlsPolicy, vllmBehindGuard,
];
