/**
 * Namespace-wide NetworkPolicies for the serving namespace (pure): everything is denied, in and out, unless a policy
 * allows it (Kubernetes "Network Policies": a pod selected by any policy of a type admits only what some policy
 * allows). The per-model policies (traffic-spec.ts) open the ingress paths; these open the egress every kit pod
 * needs: DNS, the Pod Identity agent, and HTTPS (the Hub, S3 through its gateway endpoint, STS and the EKS API for Pod Identity, the
 * router's pod watch), and ingress to the cold-start responder from the KEDA interceptor. A router reaching its own
 * servers and a multi-node group's members reaching each other are opened per model (traffic-spec.ts).
 */
import { INTERCEPTOR, UNAVAILABLE } from "./wake-spec";

type Obj = Record<string, unknown>;

const labels = { "app.kubernetes.io/managed-by": "open-model-kit" };
/** The EKS Pod Identity agent's link-local address (IPv4). */
export const POD_IDENTITY_AGENT = "169.254.170.23/32";

function policy(name: string, namespace: string, spec: Obj): Obj {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels }, spec };
}

export function buildNamespacePolicies(namespace: string): Obj[] {
  return [
    policy("omk-default-deny", namespace, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy("omk-egress", namespace, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
        { ports: [{ protocol: "TCP", port: 443 }] },
        // The EKS Pod Identity agent serves credentials on the node at 169.254.170.23:80 (EKS user guide, "Understand
        // how EKS Pod Identity works": AWS_CONTAINER_CREDENTIALS_FULL_URI): without it no pod reads S3.
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }], ports: [{ protocol: "TCP", port: 80 }] },
      ],
    }),
    policy("omk-unavailable", namespace, {
      podSelector: { matchLabels: { "app.kubernetes.io/name": UNAVAILABLE.name } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INTERCEPTOR.namespace } } }], ports: [{ protocol: "TCP", port: UNAVAILABLE.port }] }],
    }),
  ];
}
