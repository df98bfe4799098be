/**
 * Workload policies: GPU containers are bounded, scheduled on GPU nodes and given time to load; every image
 * is pinned; no credential sits in plain text in a pod spec or ConfigMap; public endpoints have TLS and auth.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { credentialArgs, credentialIn, isCredentialName } from "../components/credentials";
import { TYPES, albEndpoints, argvOf, containersOf, gpuRequest, podTemplates } from "./inspect";
import { guardedByApiKey } from "./security";

export const gpuContainers: ResourceValidationPolicy = {
  name: "gpu-containers",
  description: "A GPU container has an nvidia.com/gpu limit, its pod tolerates the GPU taint, and a serving container has a startup probe (a large model must not be killed while loading).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const t of podTemplates(args)) {
      const tolerates = (t.spec.tolerations ?? []).some((x: any) => x.key === "nvidia.com/gpu");
      for (const c of t.spec.containers ?? []) {
        if (gpuRequest(c) === 0) continue;
        if (!c.resources?.limits?.["nvidia.com/gpu"]) report(`Container ${c.name} requests GPUs without an nvidia.com/gpu limit.`);
        if (!tolerates) report(`Container ${c.name} uses GPUs but its pod does not tolerate the nvidia.com/gpu taint, so it can never schedule on a GPU node.`);
        if ((c.ports ?? []).length && !c.startupProbe) report(`Container ${c.name} serves on a port without a startupProbe: liveness would kill it while the model loads.`);
      }
    }
  },
};

/** `name:tag` or `name@sha256:…`, and the tag is not `latest`. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.split("/").pop() ?? image;
  const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
  return Boolean(tag) && tag !== "latest";
}

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Every container image names a tag other than latest, or a digest.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const t of podTemplates(args)) {
      for (const c of containersOf(t.spec)) {
        if (typeof c.image === "string" && !isPinnedImage(c.image)) report(`Container ${c.name} uses image "${c.image}" without a pinned version. Use a version tag or a digest.`);
      }
    }
  },
};


/**
 * A credential in a plain env value, judged by its shape or its variable's name. Not by secretness: CrossGuard
 * hands policies secret values unwrapped, in clear (@pulumi/policy secretsPreservingProxy), so a Pulumi secret placed
 * in an env literal looks like any other string here.
 */
export function looksLikeCredential(name: string, value: unknown): boolean {
  return typeof value === "string" && value !== "" && (credentialIn(value) !== null || isCredentialName(name));
}

export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description: "No container argument, environment variable literal or ConfigMap value holds a token or API key; they belong in Secrets (secretKeyRef).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const t of podTemplates(args)) {
      for (const c of containersOf(t.spec)) {
        for (const e of c.env ?? []) {
          if (looksLikeCredential(e.name, e.value)) report(`Container ${c.name} sets ${e.name} as a plain value. Store it in a Secret and use valueFrom.secretKeyRef.`);
        }
        for (const { index, reason } of credentialArgs(argvOf(c))) {
          report(`Container ${c.name}'s command line (argument ${index}) holds ${reason}. Pass it through a Secret (env valueFrom.secretKeyRef), never as an argument.`);
        }
      }
    }
    if (args.type === TYPES.configMap) {
      for (const [key, value] of Object.entries(args.props.data ?? {})) {
        if (typeof value === "string" && credentialIn(value)) report(`ConfigMap key ${key} contains ${credentialIn(value)}. Move it to a Secret.`);
      }
    }
  },
};

export const publicEndpoints: StackValidationPolicy = {
  name: "public-endpoints-tls-auth",
  description: "An internet-facing endpoint is served over HTTPS only and its server requires an API key.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const { ingress: ing, scheme, certificates: certs, listenPorts: listen } of albEndpoints(args.resources)) {
      if (scheme !== "internet-facing") continue;
      if (!certs.length || !listen.includes("HTTPS") || listen.includes('"HTTP"')) report(`Ingress ${ing.props.metadata?.name} is internet-facing without HTTPS-only listeners and a certificate.`, ing.urn);
      for (const rule of ing.props.spec?.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const service = path.backend?.service?.name;
          // Behind a router or the KEDA interceptor the backend is not the server: the Ingress names its model.
          if (!guardedByApiKey(args.resources, ing)) report(`Ingress ${ing.props.metadata?.name} exposes ${service} to the internet without an API key (the API guard in front of vLLM must refuse requests without one). Remove auth: false.`, ing.urn);
        }
      }
    }
  },
};
