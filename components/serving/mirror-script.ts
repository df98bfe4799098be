/**
 * The mirror Job's program (Python, run by the vLLM image's interpreter): streams every file of a Hub model
 * repository at one revision into `s3://<bucket>/<prefix>/` without a local copy, then writes the marker object.
 *
 * Why streaming and not download-then-sync: a local copy needs a volume the size of the weights (hundreds of GB for
 * the large MoE models). Held by a finished Job's pod, that volume bills until something deletes the pod, and the
 * only built-in way, `ttlSecondsAfterFinished`, deletes the Job too, so every `pulumi refresh` drops it from the state
 * and the next `pulumi up` creates it again (issue #16, "drift"). Streaming needs no volume: the finished Job stays,
 * holds nothing, and a refresh finds it as it was.
 *
 * Why this image: the vLLM image ships `huggingface_hub` (the Hub client vLLM itself uses) and `boto3` (vLLM's
 * Dockerfile, stage vllm-openai-base: "pip install … boto3 runai-model-streamer[s3]"), so the mirror pulls no image
 * the server would not pull anyway.
 *
 * Resumable and idempotent: a file already in S3 with the Hub's size is kept (an S3 object appears only when its
 * upload completes, so a size match means a whole file); the marker is written last, and a run that finds it ends at
 * once. Interrupted multipart uploads are removed by the bucket's lifecycle rule (model-store.ts).
 *
 * Arguments: repo, revision, bucket, prefix. Environment: HF_TOKEN for gated repos (read by huggingface_hub itself,
 * never printed), AWS_REGION, credentials from EKS Pod Identity (boto3's container credential provider).
 */

/** Files vLLM never loads: original PyTorch checkpoints shipped beside the safetensors (Llama's `original/`). */
export const MIRROR_SKIPPED = ["original/*", "*.pth"] as const;

/** Files copied at once; each upload also runs its parts in parallel (TransferConfig below). */
export const MIRROR_PARALLEL_FILES = 4;

export const MIRROR_SCRIPT = `
import fnmatch, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from huggingface_hub import HfApi, HfFileSystem

repo, revision, bucket, prefix = sys.argv[1:5]
marker = prefix + "/.omk-complete"
skipped = ${JSON.stringify(MIRROR_SKIPPED)}
s3 = boto3.client("s3")
# 64 MiB parts: 10,000 parts (S3's limit) cover 640 GB per file; 4 parts in flight bound the memory to ~256 MiB per file.
transfer = TransferConfig(multipart_chunksize=64 * 2**20, max_concurrency=4)

def stored_size(key):
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise

if stored_size(marker) is not None:
    print(f"s3://{bucket}/{prefix} is complete (marker found): nothing to do", flush=True)
    sys.exit(0)

files = [f for f in HfApi().list_repo_tree(repo, revision=revision, recursive=True)
         if getattr(f, "size", None) is not None and not any(fnmatch.fnmatch(f.path, p) for p in skipped)]
if not files:
    sys.exit(f"{repo}@{revision} lists no files: check the repository name and revision")
hub = HfFileSystem()

def copy(f):
    key = f"{prefix}/{f.path}"
    if stored_size(key) == f.size:
        return 0
    with hub.open(f"{repo}/{f.path}", "rb", revision=revision) as source:
        s3.upload_fileobj(source, bucket, key, Config=transfer)
    if stored_size(key) != f.size:
        raise RuntimeError(f"{key}: S3 holds a different size than the Hub's {f.size} bytes")
    print(f"copied {f.path} ({f.size} bytes)", flush=True)
    return f.size

with ThreadPoolExecutor(${MIRROR_PARALLEL_FILES}) as pool:
    copied = sum(pool.map(copy, files))
s3.put_object(Bucket=bucket, Key=marker, Body=b"done\\n")
print(f"{len(files)} files in s3://{bucket}/{prefix} ({copied} bytes copied now)", flush=True)
`.trimStart();
