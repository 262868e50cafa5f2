import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { registryV1RunSpec } from "@gantry/proto";
import { archiveFormat, planArtifacts, redactUri, type ArtifactPlan } from "./artifacts.ts";

type Init = MessageInitShape<typeof registryV1RunSpec.ArtifactSpecSchema>;
const specs = (...init: Init[]) => init.map((i) => create(registryV1RunSpec.ArtifactSpecSchema, i));

function planned(...init: Init[]): ArtifactPlan[] {
  const plan = planArtifacts(specs(...init));
  assert.ok(plan.ok, plan.ok ? "" : plan.message);
  return plan.artifacts;
}

function refused(init: Init): string {
  const plan = planArtifacts(specs(init));
  assert.ok(!plan.ok, `expected ${JSON.stringify(init)} to be refused`);
  return plan.message;
}

describe("planArtifacts", () => {
  it("fetches http(s) URLs, file:/// URIs and absolute paths, named by the URI's last path segment, in order", () => {
    const plan = planned(
      { uri: "https://repo.example.com/dist/app-1.2.tgz?sig=abc#x", extract: true, cache: true },
      { uri: "http://repo.example.com/bin/tool", executable: true },
      { uri: "file:///opt/artifacts/conf.json" },
      { uri: "/opt/artifacts/data.tar.xz", extract: true },
    );
    assert.deepEqual(
      plan.map((a) => [a.kind, a.location, a.path, a.archive, a.executable, a.cache]),
      [
        ["https", "https://repo.example.com/dist/app-1.2.tgz?sig=abc#x", "app-1.2.tgz", "tar", false, true],
        ["http", "http://repo.example.com/bin/tool", "tool", undefined, true, false],
        ["file", "/opt/artifacts/conf.json", "conf.json", undefined, false, false],
        ["file", "/opt/artifacts/data.tar.xz", "data.tar.xz", "tar", false, false],
      ],
    );
    assert.equal(plan[0]!.uri, "https://repo.example.com/dist/app-1.2.tgz?sig=abc#x");
  });

  it("percent-decodes a URL's file name; takes a plain path's literally", () => {
    assert.deepEqual(
      planned({ uri: "http://h/files/my%20app%2B1.tar" }, { uri: "file:///opt/my%20app.zip" }, { uri: "/opt/my%20app.zip" }).map((a) => [a.path, a.location]),
      [
        ["my app+1.tar", "http://h/files/my%20app%2B1.tar"],
        ["my app.zip", "/opt/my app.zip"],
        ["my%20app.zip", "/opt/my%20app.zip"],
      ],
    );
  });

  it("accepts any letter case in the scheme and file://localhost/", () => {
    assert.deepEqual(
      planned({ uri: "HTTPS://h/a.bin" }, { uri: "file://localhost/opt/b.bin" }).map((a) => [a.kind, a.location]),
      [
        ["https", "https://h/a.bin"],
        ["file", "/opt/b.bin"],
      ],
    );
  });

  it("puts the artifact at destPath, normalised, when one is given", () => {
    assert.deepEqual(
      planned(
        { uri: "http://h/download?id=7", destPath: "lib/./bundle.tgz", extract: true },
        { uri: "http://h/x", destPath: "conf//app.conf" },
        { uri: "/opt/y", destPath: "./y.bin" },
      ).map((a) => [a.path, a.archive]),
      [
        ["lib/bundle.tgz", "tar"],
        ["conf/app.conf", undefined],
        ["y.bin", undefined],
      ],
    );
  });

  it("extracts by Mesos' suffixes only when extract is set, never an executable artifact", () => {
    const names = ["a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tbz2", "a.tar.xz", "a.txz", "a.zip", "a.gz", "a.jar", "a.tar.gz.sig", "a.TGZ"];
    assert.deepEqual(
      planned(...names.map((n) => ({ uri: `http://h/${n}`, extract: true }))).map((a) => a.archive),
      ["tar", "tar", "tar", "tar", "tar", "tar", "tar", "zip", "gzip", undefined, undefined, undefined],
    );
    assert.deepEqual(planned({ uri: "http://h/a.tgz", extract: false }, { uri: "http://h/a.tgz", extract: true, executable: true }).map((a) => a.archive), [undefined, undefined]);
    // The name decides, so a destPath can make an archive of an URI that names none, and the other way round.
    assert.deepEqual(planned({ uri: "http://h/get?id=1", destPath: "x.zip", extract: true }, { uri: "http://h/x.zip", destPath: "x.bin", extract: true }).map((a) => a.archive), ["zip", undefined]);
  });

  it("refuses unsupported schemes, naming the URI and the supported ones", () => {
    for (const uri of ["hdfs://namenode/apps/app.tgz", "s3://bucket/app.tgz", "ftp://h/app.tgz", "docker://img"]) {
      const message = refused({ uri });
      assert.match(message, new RegExp(`^artifact ${uri.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: scheme ${uri.split(":")[0]}:// is not supported`));
      assert.match(message, /supported: http:\/\/, https:\/\/, file:\/\/\/<absolute path> or an absolute path/);
    }
  });

  it("refuses relative local paths and file URIs that name no absolute local path", () => {
    assert.match(refused({ uri: "opt/app.tgz" }), /^artifact opt\/app\.tgz: a local path must be absolute/);
    assert.match(refused({ uri: "./app.tgz" }), /^artifact \.\/app\.tgz: a local path must be absolute/);
    assert.match(refused({ uri: "file:app.tgz" }), /^artifact file:app\.tgz: a file URI must be file:\/\/\/<absolute path>/);
    assert.match(refused({ uri: "file://fileserver/app.tgz" }), /^artifact file:\/\/fileserver\/app\.tgz: is not a local file URI/);
  });

  it("refuses a destPath that is absolute, leaves the sandbox, names no file or lands in .gantry/", () => {
    assert.match(refused({ uri: "http://h/a", destPath: "/etc/passwd" }), /^artifact http:\/\/h\/a: destPath "\/etc\/passwd" must be relative to the sandbox/);
    assert.match(refused({ uri: "http://h/a", destPath: "../a" }), /destPath "\.\.\/a" must stay inside the sandbox/);
    assert.match(refused({ uri: "http://h/a", destPath: "lib/../../a" }), /must stay inside the sandbox/);
    assert.match(refused({ uri: "http://h/a", destPath: "lib/.." }), /must stay inside the sandbox/);
    assert.match(refused({ uri: "http://h/a", destPath: "." }), /destPath "\." must name a file/);
    assert.match(refused({ uri: "http://h/a", destPath: "lib/" }), /destPath "lib\/" must name a file/);
    assert.match(refused({ uri: "http://h/a", destPath: "./.gantry/checkpoint.json" }), /inside the agent's own \.gantry\/ directory/);
  });

  it("refuses a URI without a usable file name unless a destPath names the file", () => {
    assert.match(refused({ uri: "http://h/" }), /^artifact http:\/\/h\/: the URI names no file; give the artifact a destPath/);
    assert.match(refused({ uri: "http://h" }), /the URI names no file/);
    assert.match(refused({ uri: "file:///opt/dir/" }), /the URI names no file/);
    assert.match(refused({ uri: "http://h/a/..%2F..%2Fetc%2Fcron.d" }), /file name "\.\.\/\.\.\/etc\/cron\.d" contains a \//);
    assert.match(refused({ uri: "/opt/artifacts/.." }), /file name "\.\." is not a file name/);
    assert.match(refused({ uri: "http://h/.gantry" }), /is the agent's own \.gantry directory/);
    assert.match(refused({ uri: "http://h/a%zz" }), /file name "a%zz" is not valid percent-encoding/);
    assert.match(refused({ uri: "http://h/.gz", extract: true }), /"\.gz" leaves no name to gunzip into/);
    assert.match(refused({ uri: "" }), /^artifact "": the artifact has no URI/);
    assert.deepEqual(planned({ uri: "http://h/", destPath: "index.html" }).map((a) => a.path), ["index.html"]);
  });

  it("names the first refused artifact, never a password", () => {
    const plan = planArtifacts(specs({ uri: "http://h/ok.bin" }, { uri: "s3://key:secret@bucket/a" }, { uri: "ftp://h/b" }));
    assert.ok(!plan.ok);
    assert.match(plan.message, /^artifact s3:\/\/key:\*\*\*@bucket\/a: /);
    assert.doesNotMatch(plan.message, /secret/);
    assert.equal(planned({ uri: "https://u:p@h/a.bin" })[0]!.label, "https://u:***@h/a.bin");
  });
});

describe("archiveFormat", () => {
  it("tells a gzipped tarball from a gzipped file", () => {
    assert.equal(archiveFormat("x.tar.gz"), "tar");
    assert.equal(archiveFormat("x.gz"), "gzip");
    assert.equal(archiveFormat("x.tgz.bak"), undefined);
  });
});

describe("redactUri", () => {
  it("hides only the password", () => {
    assert.equal(redactUri("https://user:pa:ss@host/p@th"), "https://user:***@host/p@th");
    assert.equal(redactUri("https://user@host/a"), "https://user@host/a");
    assert.equal(redactUri("/opt/a:b@c"), "/opt/a:b@c");
  });
});
