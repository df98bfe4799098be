/**
 * Weight precisions the kit can serve, and what each needs from the GPU.
 *
 * The catalog data names precisions in free text ("int4 (AWQ)", "fp8 e4m3 block-128 (native)"); this
 * module is the one place that maps that text onto the kit's small vocabulary, so a new spelling in the
 * data fails a test instead of silently vanishing from the catalog.
 */

export const PRECISIONS = ["bf16", "fp8", "int8", "int4", "mxfp4", "nvfp4"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** vLLM `--quantization` family a checkpoint needs (null: vLLM reads it from the checkpoint, or none). */
export type QuantizationMethod = "fp8" | "gptq" | "awq" | "compressed-tensors" | "mxfp4" | "modelopt_fp4" | "experts_int8" | null;

export interface PrecisionTraits {
  /** Bytes per quantized (non-embedding) parameter, including group scales. */
  readonly bytesPerParam: number;
  /** Minimum CUDA compute capability vLLM needs for this precision. */
  readonly minComputeCapability: number;
  /** Why that minimum exists, for rejection messages. */
  readonly requirement: string;
}

/**
 * Embeddings and the LM head stay in BF16 in every quantized checkpoint we ship, so only the rest of the
 * parameters shrink. Scale overheads: int4 group size 128 with fp16 scales and zeros (≈ +0.02 B/param),
 * NVFP4 one fp8 scale per 16 values (+0.0625), MXFP4 one e8m0 scale per 32 values (+0.03125).
 * Compute-capability floors follow the rules (BF16 needs Ampere 8.0, FP8 needs Ada/Hopper 8.9)
 * and vLLM's kernels (AWQ/GPTQ Marlin need 7.5+/8.0, NVFP4 needs Blackwell 10.0).
 */
export const PRECISION_TRAITS: Readonly<Record<Precision, PrecisionTraits>> = {
  bf16: { bytesPerParam: 2, minComputeCapability: 8.0, requirement: "BF16 needs an Ampere or newer GPU (compute capability ≥ 8.0)" },
  fp8: { bytesPerParam: 1, minComputeCapability: 8.9, requirement: "FP8 needs an Ada or Hopper or newer GPU (compute capability ≥ 8.9)" },
  int8: { bytesPerParam: 1.02, minComputeCapability: 7.5, requirement: "INT8 kernels need compute capability ≥ 7.5" },
  int4: { bytesPerParam: 0.52, minComputeCapability: 7.5, requirement: "AWQ/GPTQ INT4 kernels need compute capability ≥ 7.5" },
  mxfp4: { bytesPerParam: 0.53125, minComputeCapability: 8.0, requirement: "MXFP4 MoE kernels need an Ampere or newer GPU (compute capability ≥ 8.0)" },
  nvfp4: { bytesPerParam: 0.5625, minComputeCapability: 10.0, requirement: "NVFP4 needs a Blackwell GPU (compute capability ≥ 10.0)" },
};

export interface ParsedPrecision {
  readonly precision: Precision;
  readonly quantization: QuantizationMethod;
  /** FP8 with block-wise scales ("block 128"): vLLM needs whole blocks per tensor-parallel slice. */
  readonly blockSize: number | null;
}

/**
 * Maps a precision label from `data/models.json` to the kit's vocabulary.
 * Returns `null` for labels the kit deliberately does not serve (AMD-only checkpoints, the config-only BF16
 * label of FP8-shipped DeepSeek weights); throws on a label
 * it has never seen, so data edits are reviewed.
 */
export function parsePrecisionLabel(label: string): ParsedPrecision | null {
  const l = label.toLowerCase();
  if (l.includes("(amd)") || l.startsWith("bfloat16 (config)")) return null;
  const plain = (precision: Precision, quantization: QuantizationMethod): ParsedPrecision => ({ precision, quantization, blockSize: null });
  if (l === "bf16") return plain("bf16", null);
  if (l.startsWith("bfloat16 + mxfp4") || l.startsWith("mxfp4")) return plain("mxfp4", "mxfp4");
  if (l.startsWith("nvfp4") || l === "fp4") return plain("nvfp4", "modelopt_fp4");
  if (l.startsWith("fp8")) {
    const compressed = l.includes("compressed") || l.includes("dynamic");
    return { precision: "fp8", quantization: compressed ? "compressed-tensors" : "fp8", blockSize: /block[ -]?128/.test(l) ? 128 : null };
  }
  if (l === "int8 (gptq)") return plain("int8", "gptq");
  // vLLM quantizes the BF16 checkpoint's experts to INT8 while loading (`--quantization experts_int8`).
  if (l.startsWith("int8 (experts_int8")) return plain("int8", "experts_int8");
  if (l === "int8 w8a8") return plain("int8", "compressed-tensors");
  if (l === "int4 (awq)") return plain("int4", "awq");
  if (l === "int4 (gptq)") return plain("int4", "gptq");
  if (l.startsWith("int4 w4a16")) return plain("int4", "compressed-tensors");
  throw new Error(`catalog: unknown precision label "${label}" in models.json; map it in components/catalog/precision.ts`);
}
