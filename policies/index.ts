// The CrossGuard pack: only builds it. Policies live in modules the tests (and `omk plan`) import directly.
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./all";

new PolicyPack("open-model-kit", { policies: [...ALL_POLICIES], enforcementLevel: "mandatory" });
