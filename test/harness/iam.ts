/**
 * A small IAM policy evaluator for tests: does any Allow statement of these policies match a request?
 * It covers the condition operators the kit's and AWS's EKS policies use (IAM User Guide, "IAM JSON policy
 * elements: Condition operators" and "Policy evaluation logic"). An operator it does not know throws, so a
 * test can never pass by ignoring a condition.
 */

export interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}
export interface Policy {
  readonly Statement: readonly Statement[];
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Request context keys: `aws:RequestTag/<k>`, `aws:TagKeys` (multi-valued), `aws:PrincipalTag/<k>`, `aws:ResourceTag/<k>`, … */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

const list = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? v : [v as T]);

/** IAM wildcards: `*` any run of characters, `?` one character. */
function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, caseInsensitive ? "i" : "");
  return re.test(value);
}

/** `${aws:PrincipalTag/x}` and friends resolve from the request context; an absent variable matches nothing. */
function substitute(value: string, context: Request["context"]): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_m, key: string) => {
    const v = context[key];
    if (typeof v !== "string") missing = true;
    return typeof v === "string" ? v : "";
  });
  return missing ? undefined : out;
}

function conditionHolds(operator: string, key: string, expected: readonly string[], context: Request["context"]): boolean {
  const [qualifier, op] = operator.includes(":") ? operator.split(":") as [string, string] : [null, operator];
  const match = (v: string) => expected.some((e) => {
    const want = substitute(e, context);
    if (want === undefined) return false;
    if (op === "StringEquals") return v === want;
    if (op === "StringLike") return glob(want, v);
    throw new Error(`iam harness: condition operator ${operator} is not implemented`);
  });
  const actual = context[key];
  if (op === "Null") return (actual === undefined) === (expected[0] === "true");
  if (qualifier === "ForAllValues") return actual === undefined || list(actual).every(match);
  if (qualifier === "ForAnyValue") return actual !== undefined && list(actual).some(match);
  if (qualifier !== null) throw new Error(`iam harness: condition qualifier ${qualifier} is not implemented`);
  return typeof actual === "string" && match(actual);
}

export function statementAllows(s: Statement, request: Request): boolean {
  if (s.Effect !== "Allow") return false;
  if (!list(s.Action).some((a) => glob(a, request.action, true))) return false;
  if (!list(s.Resource).some((r) => glob(r, request.resource))) return false;
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, list(expected), request.context)));
}

/** Allowed when some statement of some policy allows it (none of these policies has a Deny). */
export function allows(policies: readonly Policy[], request: Request): boolean {
  if (policies.some((p) => p.Statement.some((s) => s.Effect === "Deny"))) throw new Error("iam harness: Deny statements are not evaluated");
  return policies.some((p) => p.Statement.some((s) => statementAllows(s, request)));
}

/** The request context of a call Auto Mode makes with request tags, as the cluster role of `clusterName`. */
export function taggedRequest(action: string, resource: string, clusterName: string, tags: Readonly<Record<string, string>>): Request {
  const context: Record<string, string | readonly string[]> = { "aws:PrincipalTag/eks:eks-cluster-name": clusterName, "aws:TagKeys": Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
  return { action, resource, context };
}
