/** Tests validate manifests with the same code `omk plan` runs. */
export { validateManifest } from "../../cli/engine/validate-manifests";
