/**
 * The mirror Job's Python program, run for real by python3 against stand-ins of the two libraries it calls
 * (huggingface_hub's HfApi/HfFileSystem and boto3's S3 client, shadowed on PYTHONPATH): a repository of files on
 * one side, a directory as the bucket on the other. What a platform team relies on: every file arrives at its
 * size, skipped files stay out, an interrupted run resumes without copying again what S3 already holds, the marker
 * comes last, and a finished mirror ends at once. `.ci/run` requires python3 (OMK_REQUIRE_PYTHON=1); elsewhere,
 * without it, this file is skipped and says so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MIRROR_SCRIPT } from "../../components/serving/mirror-script";

const python = ["python3"].find((bin) => !spawnSync(bin, ["--version"]).error) ?? null;
if (!python && process.env.OMK_REQUIRE_PYTHON) throw new Error("OMK_REQUIRE_PYTHON is set but python3 is not installed (apt-get install python3)");
if (!python) console.warn("mirror-script.test.ts: python3 is not installed, the mirror program's tests are skipped");

const root = mkdtempSync(join(tmpdir(), "omk-mirror-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Stand-ins with the call shapes the script uses; every Hub read and S3 write is logged to calls.log. */
const STUBS: Record<string, string> = {
  "huggingface_hub/__init__.py": `
import io, json, os
REPO = json.load(open(os.environ["STUB_REPO"]))
def log(line):
    open(os.environ["STUB_LOG"], "a").write(line + "\\n")
class RepoFile:
    def __init__(self, path, size): self.path, self.size = path, size
class RepoFolder:
    def __init__(self, path): self.path = path
class HfApi:
    def list_repo_tree(self, repo_id, revision=None, recursive=False):
        assert recursive and repo_id == REPO["id"] and revision == REPO["revision"], (repo_id, revision, recursive)
        log("list")
        yield RepoFolder("original")
        for path, text in REPO["files"].items():
            yield RepoFile(path, len(text.encode()))
class HfFileSystem:
    def open(self, path, mode="rb", revision=None):
        repo, _, inner = path.partition(REPO["id"] + "/")
        assert mode == "rb" and revision == REPO["revision"] and repo == "", (path, revision)
        if inner == os.environ.get("STUB_FAIL_ON"):
            raise OSError("connection reset while reading " + inner)
        log("read " + inner)
        return io.BytesIO(REPO["files"][inner].encode())
`,
  "boto3/__init__.py": `
import os
from botocore.exceptions import ClientError
def log(line):
    open(os.environ["STUB_LOG"], "a").write(line + "\\n")
class Pages:
    def __init__(self, s3): self.s3 = s3
    def paginate(self, Bucket, Prefix):
        root = self.s3._file(Bucket, "")
        keys = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
        found = [{"Key": k, "Size": os.path.getsize(os.path.join(root, k))} for k in keys if k.startswith(Prefix)]
        # Two pages, as S3 splits long listings.
        yield {"Contents": found[:2]} if found else {}
        if found[2:]:
            yield {"Contents": found[2:]}
class S3:
    def _file(self, bucket, key):
        assert bucket == os.environ["STUB_BUCKET_NAME"], bucket
        return os.path.join(os.environ["STUB_BUCKET_DIR"], key)
    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return Pages(self)
    def head_object(self, Bucket, Key):
        f = self._file(Bucket, Key)
        if not os.path.exists(f):
            # What S3 answers a role whose ListBucket is limited by s3:prefix (HeadObject: 403 without ListBucket).
            raise ClientError({"Error": {"Code": "403"}}, "HeadObject")
        return {"ContentLength": os.path.getsize(f)}
    def _write(self, f, data):
        os.makedirs(os.path.dirname(f), exist_ok=True)
        open(f, "wb").write(data)
    def upload_fileobj(self, source, Bucket, Key, Config=None):
        assert Config is not None and Config.max_in_memory_upload_chunks == 4
        log("put " + Key)
        self._write(self._file(Bucket, Key), source.read())
    def put_object(self, Bucket, Key, Body):
        log("put " + Key)
        self._write(self._file(Bucket, Key), Body)
def client(name, region_name=None):
    assert name == "s3" and region_name == "eu-central-1", (name, region_name)
    return S3()
`,
  "boto3/s3/__init__.py": "",
  "boto3/s3/transfer.py": "class TransferConfig:\n    def __init__(self, **kwargs): self.kwargs = kwargs\n",
  "botocore/__init__.py": "",
  "botocore/exceptions.py": "class ClientError(Exception):\n    def __init__(self, response, operation):\n        super().__init__(operation)\n        self.response = response\n",
};
for (const [file, text] of Object.entries(STUBS)) {
  mkdirSync(dirname(join(root, "lib", file)), { recursive: true });
  writeFileSync(join(root, "lib", file), text);
}

const REPO = {
  id: "Qwen/Qwen3-32B", revision: "0123abcd",
  files: {
    "config.json": '{"model_type": "qwen3"}', "model-00001-of-00002.safetensors": "A".repeat(5000), "model-00002-of-00002.safetensors": "B".repeat(3000),
    "tokenizer.json": "{}", "original/consolidated.00.pth": "never copied", "extra/weights.pth": "never copied",
  },
};
writeFileSync(join(root, "repo.json"), JSON.stringify(REPO));
const PREFIX = "Qwen/Qwen3-32B/0123abcd";
const bucketDir = join(root, "bucket");
const logFile = join(root, "calls.log");

function mirror(env: Record<string, string> = {}): { status: number | null; output: string; calls: string[] } {
  writeFileSync(logFile, "");
  const run = spawnSync(python!, ["-c", MIRROR_SCRIPT, REPO.id, REPO.revision, "weights-bucket", PREFIX], {
    encoding: "utf8", timeout: 20_000,
    env: { PATH: process.env.PATH ?? "", AWS_REGION: "eu-central-1", PYTHONPATH: join(root, "lib"), STUB_REPO: join(root, "repo.json"), STUB_LOG: logFile, STUB_BUCKET_NAME: "weights-bucket", STUB_BUCKET_DIR: bucketDir, ...env },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, calls: readFileSync(logFile, "utf8").split("\n").filter(Boolean) };
}
const stored = (path: string) => join(bucketDir, PREFIX, path);

describe.skipIf(!python)("the mirror program (python3, stand-in Hub and S3)", () => {
  it("an interrupted run leaves no marker; the retry copies only what S3 lacks, then the marker; a finished mirror ends at once", () => {
    const interrupted = mirror({ STUB_FAIL_ON: "model-00002-of-00002.safetensors" });
    expect(interrupted.status).not.toBe(0);
    expect(interrupted.output).toMatch(/connection reset while reading model-00002/);
    expect(existsSync(stored(".omk-complete"))).toBe(false);
    // Which other files finished first depends on the thread pool (files not yet started are cancelled on the error).
    const before = interrupted.calls.filter((c) => c.startsWith("put ")).map((c) => c.slice(PREFIX.length + 5));
    expect(before).not.toContain("model-00002-of-00002.safetensors");
    expect(before.length).toBeGreaterThan(0);

    const retry = mirror();
    expect(retry.status, retry.output).toBe(0);
    // Only what S3 lacked is read from the Hub again; the marker is the last write.
    const copied = Object.keys(REPO.files).filter((f) => !f.endsWith(".pth"));
    expect(retry.calls.filter((c) => c.startsWith("read ")).map((c) => c.slice(5)).sort()).toEqual(copied.filter((f) => !before.includes(f)).sort());
    expect(retry.calls.at(-1)).toBe(`put ${PREFIX}/.omk-complete`);
    for (const [path, text] of Object.entries(REPO.files)) {
      if (path.endsWith(".pth")) expect(existsSync(stored(path)), path).toBe(false);
      else expect(readFileSync(stored(path), "utf8"), path).toBe(text);
    }
    const sizeOf = (f: string) => Buffer.byteLength(REPO.files[f as keyof typeof REPO.files]);
    const bytes = copied.filter((f) => !before.includes(f)).reduce((n, f) => n + sizeOf(f), 0);
    expect(retry.output).toContain(`4 files in s3://weights-bucket/Qwen/Qwen3-32B/0123abcd (${bytes} bytes copied now)`);

    const again = mirror();
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.output).toMatch(/complete \(marker found\): nothing to do/);
  });

  it("copies again a file whose stored size differs from the Hub's (a stale or foreign object)", () => {
    rmSync(bucketDir, { recursive: true, force: true });
    mkdirSync(dirname(stored("tokenizer.json")), { recursive: true });
    writeFileSync(stored("tokenizer.json"), "stale, longer than the Hub's");
    const run = mirror();
    expect(run.status, run.output).toBe(0);
    expect(run.calls).toContain("read tokenizer.json");
    expect(readFileSync(stored("tokenizer.json"), "utf8")).toBe("{}");
  });

  it("fails clearly when the revision lists no files, without a marker", () => {
    rmSync(bucketDir, { recursive: true, force: true });
    mkdirSync(bucketDir);
    writeFileSync(join(root, "empty.json"), JSON.stringify({ ...REPO, files: {} }));
    const run = mirror({ STUB_REPO: join(root, "empty.json") });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Qwen\/Qwen3-32B@0123abcd lists no files: check the repository name and revision/);
    expect(existsSync(stored(".omk-complete"))).toBe(false);
  });
});
