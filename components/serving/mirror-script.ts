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
 * once. Needs only what the writer role has (store-policy.ts): ListBucket on the prefix, GetObject and PutObject in it. Interrupted multipart uploads are removed by the bucket's lifecycle rule (model-store.ts).
 *
 * Arguments: repo, revision, bucket, prefix. Environment: HF_TOKEN for gated repos (read by huggingface_hub itself,
 * never printed), AWS_REGION, credentials from EKS Pod Identity (boto3's container credential provider).
 */

/** Files vLLM never loads: original PyTorch checkpoints shipped beside the safetensors (Llama's `original/`). */
export const MIRROR_SKIPPED = ["original/*", "*.pth"] as const;

/** Files copied at once; each upload also runs its parts in parallel (TransferConfig below). */
export const MIRROR_PARALLEL_FILES = 4;

export const MIRROR_SCRIPT = `
import fnmatch, os, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
from boto3.s3.transfer import TransferConfig
from huggingface_hub import HfApi, HfFileSystem

repo, revision, bucket, prefix = sys.argv[1:5]
marker = prefix + "/.omk-complete"
skipped = ${JSON.stringify(MIRROR_SKIPPED)}
# boto3 reads AWS_DEFAULT_REGION, not AWS_REGION; Pod Identity supplies credentials only.
s3 = boto3.client("s3", region_name=os.environ["AWS_REGION"])
# 64 MiB parts: 10,000 parts (S3's limit) cover 640 GB per file. s3transfer buffers up to
# max_in_memory_upload_chunks parts per upload (default 10): 4 keeps a file's upload near 256 MiB.
transfer = TransferConfig(multipart_chunksize=64 * 2**20, max_concurrency=4)
transfer.max_in_memory_upload_chunks = 4

# What the prefix holds, by one listing: a HEAD on a missing key answers 403, not 404, to a role whose
# ListBucket is limited by s3:prefix (S3 API reference, HeadObject), so absence is read from the listing.
stored = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
    for item in page.get("Contents", []):
        stored[item["Key"]] = item["Size"]
if marker in stored:
    print(f"s3://{bucket}/{prefix} is complete (marker found): nothing to do", flush=True)
    sys.exit(0)

files = [f for f in HfApi().list_repo_tree(repo, revision=revision, recursive=True)
         if getattr(f, "size", None) is not None and not any(fnmatch.fnmatch(f.path, p) for p in skipped)]
if not files:
    sys.exit(f"{repo}@{revision} lists no files: check the repository name and revision")
hub = HfFileSystem()

def copy(f):
    key = f"{prefix}/{f.path}"
    if stored.get(key) == f.size:
        return 0
    with hub.open(f"{repo}/{f.path}", "rb", revision=revision) as source:
        s3.upload_fileobj(source, bucket, key, Config=transfer)
    size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    if size != f.size:
        raise RuntimeError(f"{key}: S3 holds {size} bytes, the Hub lists {f.size}")
    print(f"copied {f.path} ({f.size} bytes)", flush=True)
    return f.size

with ThreadPoolExecutor(${MIRROR_PARALLEL_FILES}) as pool:
    copied = sum(pool.map(copy, files))
s3.put_object(Bucket=bucket, Key=marker, Body=b"done\\n")
print(f"{len(files)} files in s3://{bucket}/{prefix} ({copied} bytes copied now)", flush=True)
`.trimStart();
