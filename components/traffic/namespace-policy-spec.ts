/**
 * Namespace-wide NetworkPolicies for the serving namespace (pure): everything is denied, in and out, unless a policy
 * allows it (Kubernetes "Network Policies": a pod selected by any policy of a type admits only what some policy
 * allows). The per-model policies (traffic-spec.ts) open the ingress paths; these open egress by what a pod needs
 * (its omk.dev/egress label, components/egress.ts): every pod DNS and the Pod Identity agent; `s3` pods (servers
 * streaming from the model store, which never hold the HF token) HTTPS to the region's S3 ranges only; `internet`
 * pods (Hub downloads, the mirror Job, the router's and the refresh's calls to the EKS API) HTTPS anywhere. Also
 * ingress to the cold-start responder from the KEDA interceptor. A router reaching its own servers and a multi-node
 * group's members reaching each other are opened per model (traffic-spec.ts).
 */
import { EGRESS_LABEL } from "../egress";
import { INTERCEPTOR, UNAVAILABLE } from "./wake-spec";

type Obj = Record<string, unknown>;

const labels = { "app.kubernetes.io/managed-by": "open-model-kit" };
/** The EKS Pod Identity agent's link-local address (IPv4). */
export const POD_IDENTITY_AGENT = "169.254.170.23/32";

function policy(name: string, namespace: string, spec: Obj): Obj {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels }, spec };
}

/** The one namespace policy that depends on the S3 ranges, known at deploy time only. */
export const S3_EGRESS_POLICY = "omk-egress-s3";

/**
 * @param s3Cidrs the region's S3 address ranges (the managed prefix list com.amazonaws.<region>.s3, read at deploy
 *   time: AWS adds ranges, and a refresh shows them as an in-place update of omk-egress-s3). Empty: no pod reads S3.
 */
export function buildNamespacePolicies(namespace: string, s3Cidrs: readonly string[]): Obj[] {
  const https = [{ protocol: "TCP", port: 443 }];
  const labelled = (value: string) => ({ matchLabels: { [EGRESS_LABEL]: value } });
  return [
    policy("omk-default-deny", namespace, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy("omk-egress", namespace, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
        // The EKS Pod Identity agent serves credentials on the node at 169.254.170.23:80 (EKS user guide, "Understand
        // how EKS Pod Identity works": AWS_CONTAINER_CREDENTIALS_FULL_URI): without it no pod reads S3.
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }], ports: [{ protocol: "TCP", port: 80 }] },
      ],
    }),
    policy("omk-egress-internet", namespace, { podSelector: labelled("internet"), policyTypes: ["Egress"], egress: [{ ports: https }] }),
    // With no S3 range known, the policy still selects the s3 pods and opens nothing (deny stays the default).
    policy(S3_EGRESS_POLICY, namespace, { podSelector: labelled("s3"), policyTypes: ["Egress"], egress: s3Cidrs.length ? [{ to: s3Cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: https }] : [] }),
    policy("omk-unavailable", namespace, {
      podSelector: { matchLabels: { "app.kubernetes.io/name": UNAVAILABLE.name } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INTERCEPTOR.namespace } } }], ports: [{ protocol: "TCP", port: UNAVAILABLE.port }] }],
    }),
  ];
}
