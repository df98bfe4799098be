/** `omk instances [--region r] [--json|--markdown]`: the GPU instance catalog with prices for a region. */
import { INSTANCES, offeredIn, priceIn } from "../../components/catalog/instances";
import { isKnownRegion, KNOWN_REGIONS } from "../../components/catalog/regions";
import { nearest } from "../../components/config/errors";
import { markdownTable, table } from "../format";

export function instanceRows(region: string) {
  return INSTANCES.map((i) => {
    const price = priceIn(i, region);
    return {
      instanceType: i.type, gpu: i.gpu.model, gpuCount: i.gpu.count, gpuMemoryGiB: Math.round((i.gpu.memoryMiB / 1024) * 10) / 10,
      computeCapability: i.gpu.computeCapability, bf16: i.bf16, fp8: i.fp8, vcpu: i.vcpu, memoryGiB: i.memoryGiB, efa: i.efa.supported,
      localNvmeGB: i.localNvmeGB, region, availability: offeredIn(i, region),
      hourlyUsd: price?.usdPerHour ?? null, priceEstimate: price?.estimate ?? false, priceBasis: price?.basis ?? i.priceNote ?? "no on-demand price",
    };
  });
}

export function instancesCommand(opts: { region: string; json?: boolean; markdown?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  if (!isKnownRegion(opts.region)) {
    const near = nearest(opts.region, KNOWN_REGIONS, 1);
    err(`omk instances: --region "${opts.region}" is not a region the kit knows. Fix: ${near.length ? `did you mean ${near[0]}? ` : ""}Regions: ${KNOWN_REGIONS.join(", ")}.`);
    return 1;
  }
  const rows = instanceRows(opts.region);
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const cells = rows.map((r) => [
    r.instanceType, `${r.gpuCount} × ${r.gpu}`, `${r.gpuMemoryGiB} GiB`, r.fp8 ? "bf16, fp8" : r.bf16 ? "bf16" : "-",
    r.efa ? "yes" : "no", r.hourlyUsd === null ? "n/a" : `$${r.hourlyUsd.toFixed(2)}${r.priceEstimate ? " (est.)" : ""}`, r.availability,
  ]);
  const header = ["TYPE", "GPUS", "MEM/GPU", "NATIVE", "EFA", `$/H ${opts.region}`, "AVAILABILITY"];
  if (opts.markdown) {
    out(markdownTable(header, cells));
  } else {
    out(table([header, ...cells], ""));
    out("\nAvailability: listed (a source listed it), assumed (broadly offered family), priced-only, not-offered. (est.) = estimated regional price.");
  }
  return 0;
}
