// The `mtls-pop` command line tool, run as a child process of this runtime
// (Deno, Bun, or Node on the tsc build) against an emulator started here.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import { VERSION } from "../src/version.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { startScript } from "./helpers/long_running.ts";
import { openssl, opensslSelfSigned, tempDir, writeText } from "./helpers/openssl.ts";
import { type ChildResult, runScript, scriptPath } from "./helpers/runtime.ts";

const CLI = scriptPath("src/cli/main");
/** A compact JWS anywhere in a text: what must not show unless asked for. */
const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

/** Runs the CLI; the environment is cleared of the variables it reads, so that only what a test passes counts. */
function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<ChildResult> {
  return runScript(CLI, {
    args,
    env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: "", MTLS_POP_CA_FILE: "", MTLS_POP_MTLS_ENDPOINT: "", ...env },
    timeoutMs: 60_000,
    input,
  });
}

function assertExit(r: ChildResult, code: number): void {
  assert.equal(r.timedOut, false, `timed out:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Exactly one stderr line `mtls-pop: <code>: <message>`, no stack. */
function assertOneErrorLine(r: ChildResult, errorCode: string): void {
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^mtls-pop: ${errorCode}: \\S`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe("mtls-pop CLI", () => {
  const fixture = useEmulator();
  const dir = tempDir();
  let caFile = "";
  let resource = "";
  const emulatorFlags = () => ["--imds-endpoint", fixture.emu.imdsEndpoint, "--ca-file", caFile];

  before(() => {
    caFile = writeText(dir.path, "ca.pem", fixture.emu.caCertificatePem);
    resource = new URL(fixture.emu.resourceUrl).origin;
  });
  after(() => dir.remove());

  describe("help and version", () => {
    it("--version prints the library version", async () => {
      const r = await cli(["--version"]);
      assertExit(r, 0);
      assert.equal(r.stdout.trim(), `mtls-pop ${VERSION}`);
    });

    it("--help lists the commands; each command has its own help", async () => {
      const r = await cli(["--help"]);
      assertExit(r, 0);
      for (const command of ["token", "cc-token", "call", "inspect", "emulator"]) {
        assert.match(r.stdout, new RegExp(`\\n  ${command} `));
      }
      const tokenHelp = await cli(["token", "--help"]);
      assertExit(tokenHelp, 0);
      assert.match(tokenHelp.stdout, /Usage: mtls-pop token --resource/);
      const viaHelp = await cli(["help", "cc-token"]);
      assertExit(viaHelp, 0);
      assert.match(viaHelp.stdout, /--passphrase-env VAR/);
      // -h after other flags of any command, without running the command.
      for (const command of ["call", "inspect", "emulator", "cc-token"]) {
        const r2 = await cli([command, "--json", "-h"]);
        assertExit(r2, 0);
        assert.match(r2.stdout, new RegExp(`Usage: mtls-pop ${command}`));
      }
    });
  });

  describe("token", () => {
    it("gets a system-assigned token: no identity parameter on IMDS, the token hidden by default", async () => {
      const r = await cli(["token", "--resource", resource, ...emulatorFlags()]);
      assertExit(r, 0);
      assert.match(r.stdout, /token type\s+mtls_pop\n/);
      assert.match(r.stdout, /token source\s+IdentityProvider\n/);
      assert.match(r.stdout, /identity\s+system-assigned\n/);
      assert.match(r.stdout, /expires\s+\S+ \(expires in 59 min\)\n/);
      assert.match(r.stdout, /thumbprint\s+[0-9A-F]{40}\n/);
      assert.match(r.stdout, /x5t#S256\s+[\w-]{43}\n/);
      assert.match(r.stdout, /subject\s+CN=.+, DC=/);
      assert.doesNotMatch(r.stdout, JWT_PATTERN);
      assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
      const imds = fixture.emu.requests.filter((q) => q.server === "imds");
      assert.deepEqual(imds.map((q) => q.endpoint), ["platformMetadata", "issueCredential"]);
      for (const q of imds) {
        for (const selector of ["client_id", "mi_res_id", "object_id", "msi_res_id"]) {
          assert.equal(q.query[selector], undefined);
        }
      }
      const printedX5t = /x5t#S256\s+(\S+)/.exec(r.stdout)![1];
      const tokenRequest = fixture.emu.requests.find((q) => q.endpoint === "token")!;
      assert.equal(
        tokenRequest.peerCertificate?.x5tS256,
        printedX5t,
        "the printed binding is the one presented to the STS",
      );
    });

    const uami = () => fixture.emu.identities.userAssigned[0]!;
    const userAssignedKinds: Array<[flag: string, parameter: string, value: () => string]> = [
      ["--client-id", "client_id", () => uami().clientId],
      ["--resource-id", "mi_res_id", () => uami().resourceId!],
      ["--object-id", "object_id", () => uami().objectId],
    ];
    for (const [flag, parameter, value] of userAssignedKinds) {
      it(`gets a user-assigned token by ${flag}: IMDS gets ${parameter}`, async () => {
        const r = await cli(["token", "--resource", resource, flag, value(), ...emulatorFlags()]);
        assertExit(r, 0);
        assert.match(r.stdout, /identity\s+user-assigned/);
        assert.ok(r.stdout.includes(value()), r.stdout);
        assert.doesNotMatch(r.stdout, JWT_PATTERN);
        const imds = fixture.emu.requests.filter((q) => q.server === "imds");
        assert.equal(imds.length, 2);
        for (const q of imds) assert.equal(q.query[parameter], value(), `${q.endpoint} carries ${parameter}`);
        assert.equal(fixture.emu.requests.find((q) => q.endpoint === "token")?.form?.client_id, uami().clientId);
      });
    }

    it("--show-token prints the token, bound to the printed certificate", async () => {
      const r = await cli(["token", "--resource", resource, "--show-token", ...emulatorFlags()]);
      assertExit(r, 0);
      const token = /access token\s+(\S+)\n/.exec(r.stdout)?.[1] ?? "";
      assert.match(token, JWT_PATTERN);
      const printedX5t = /x5t#S256\s+(\S+)/.exec(r.stdout)![1];
      assert.deepEqual(decodeJwt(token).cnf, { "x5t#S256": printedX5t });
    });

    it("--json gives an object with tokenType mtls_pop and no token unless --show-token", async () => {
      const r = await cli(["token", "--resource", resource, "--json", ...emulatorFlags()]);
      assertExit(r, 0);
      const report = JSON.parse(r.stdout);
      assert.equal(report.tokenType, "mtls_pop");
      assert.equal(report.tokenSource, "IdentityProvider");
      assert.equal(report.subject.identityKind, "SystemAssigned");
      assert.equal(report.subject.resource, resource);
      assert.match(report.bindingCertificate.x5tS256, /^[\w-]{43}$/);
      assert.ok(report.expiresInSeconds > 3500 && report.expiresInSeconds <= 3599, String(report.expiresInSeconds));
      assert.equal("accessToken" in report, false);
      assert.doesNotMatch(r.stdout, JWT_PATTERN);

      const shown = await cli(["token", "--resource", resource, "--json", "--show-token", ...emulatorFlags()]);
      assertExit(shown, 0);
      const withToken = JSON.parse(shown.stdout);
      assert.match(withToken.accessToken, JWT_PATTERN);
      assert.deepEqual(decodeJwt(withToken.accessToken).cnf, { "x5t#S256": withToken.bindingCertificate.x5tS256 });
    });

    it("reads the IMDS endpoint and the CA file from the environment", async () => {
      const r = await cli(["token", "--resource", resource, "--json"], {
        AZURE_POD_IDENTITY_AUTHORITY_HOST: fixture.emu.imdsEndpoint,
        MTLS_POP_CA_FILE: caFile,
      });
      assertExit(r, 0);
      assert.equal(JSON.parse(r.stdout).tokenType, "mtls_pop");
      assert.equal(fixture.emu.requests.filter((q) => q.endpoint === "token").length, 1);
    });
  });

  describe("cc-token", () => {
    const client = () => opensslSelfSigned(dir.path, "cc-client");
    const ccFlags = (clientId: string) => [
      "cc-token",
      "--client-id",
      clientId,
      "--tenant",
      fixture.emu.tenantId,
      "--region",
      "westus3",
      "--scope",
      `${resource}/.default`,
      "--mtls-endpoint",
      fixture.emu.mtlsEndpoint,
      "--ca-file",
      caFile,
    ];

    it("gets a token with --cert and --key, presenting that certificate to the STS", async () => {
      const certificate = client();
      const clientId = crypto.randomUUID();
      await fixture.emu.registerConfidentialClient(clientId, certificate.certPem);
      const r = await cli([...ccFlags(clientId), "--cert", certificate.certPath, "--key", certificate.keyPath]);
      assertExit(r, 0);
      assert.match(r.stdout, /token type\s+mtls_pop\n/);
      assert.match(r.stdout, new RegExp(`client id\\s+${clientId}\\n`));
      assert.doesNotMatch(r.stdout, JWT_PATTERN);
      assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
      const tokenRequest = fixture.emu.requests.find((q) => q.endpoint === "token")!;
      assert.equal(tokenRequest.path, `/${fixture.emu.tenantId}/oauth2/v2.0/token`);
      assert.equal(tokenRequest.form?.client_id, clientId);
      assert.equal(tokenRequest.form?.scope, `${resource}/.default`);
      assert.equal(tokenRequest.form?.client_assertion, undefined);
      assert.equal(tokenRequest.peerCertificate?.x5tS256, /x5t#S256\s+(\S+)/.exec(r.stdout)![1]);
    });

    it("gets a token with --pfx and the passphrase from --passphrase-env, never echoing it", async () => {
      const certificate = client();
      const clientId = crypto.randomUUID();
      await fixture.emu.registerConfidentialClient(clientId, certificate.certPem);
      const pfxPath = join(dir.path, "cc-client.pfx");
      const passphrase = "correct horse battery staple";
      const made = openssl([
        "pkcs12",
        "-export",
        "-in",
        certificate.certPath,
        "-inkey",
        certificate.keyPath,
        "-out",
        pfxPath,
        "-passout",
        `pass:${passphrase}`,
      ]);
      assert.equal(made.status, 0, made.stderr);
      const r = await cli([...ccFlags(clientId), "--pfx", pfxPath, "--passphrase-env", "CC_PFX_PASSPHRASE", "--json"], {
        CC_PFX_PASSPHRASE: passphrase,
      });
      assertExit(r, 0);
      const report = JSON.parse(r.stdout);
      assert.equal(report.tokenType, "mtls_pop");
      assert.equal(report.subject.clientId, clientId);
      assert.ok(!r.stdout.includes(passphrase) && !r.stderr.includes(passphrase));
      assert.equal(
        fixture.emu.requests.find((q) => q.endpoint === "token")?.peerCertificate?.x5tS256,
        report.bindingCertificate.x5tS256,
      );

      const wrongPassphrase = "not-the-passphrase-5120";
      const wrong = await cli([
        ...ccFlags(clientId),
        "--pfx",
        pfxPath,
        "--passphrase-env",
        "CC_PFX_PASSPHRASE",
        "--verbose",
      ], {
        CC_PFX_PASSPHRASE: wrongPassphrase,
      });
      assertExit(wrong, 2);
      assert.ok(!wrong.stderr.includes(wrongPassphrase), `the passphrase is not echoed in the error:\n${wrong.stderr}`);
      const unset = await cli([...ccFlags(clientId), "--pfx", pfxPath, "--passphrase-env", "CC_UNSET_VARIABLE"]);
      assertExit(unset, 2);
      assertOneErrorLine(unset, "usage_error");
    });
  });

  describe("call", () => {
    it("gets 200 from the emulator's resource and prints the body", async () => {
      const r = await cli([
        "call",
        `${fixture.emu.resourceUrl}things`,
        "--resource",
        resource,
        "--header",
        "x-test: yes",
        "--verbose",
        ...emulatorFlags(),
      ]);
      assertExit(r, 0);
      const body = JSON.parse(r.stdout);
      assert.equal(body.ok, true);
      assert.equal(body.path, "/things");
      assert.equal(body.tokenBoundAuth, false);
      assert.match(r.stderr, /HTTP 200/);
      assert.doesNotMatch(r.stdout + r.stderr, JWT_PATTERN);
      const call = fixture.emu.requests.find((q) => q.endpoint === "resource")!;
      assert.equal(call.status, 200);
      assert.equal(call.headers["x-test"], "yes");
      assert.equal(call.peerCertificate?.x5tS256, body.x5tS256);
    });

    it("sends x-ms-tokenboundauth with --token-bound-auth, and a body with --data", async () => {
      const uami = fixture.emu.identities.userAssigned[0]!;
      const r = await cli([
        "call",
        fixture.emu.resourceUrl,
        "--resource",
        resource,
        "--client-id",
        uami.clientId,
        "--token-bound-auth",
        "--data",
        "hello",
        ...emulatorFlags(),
      ]);
      assertExit(r, 0);
      const body = JSON.parse(r.stdout);
      assert.equal(body.tokenBoundAuth, true);
      assert.equal(body.method, "POST");
      assert.equal(body.appid, uami.clientId);
    });

    it("a non-2xx answer is a service error: exit 1, one line", async () => {
      fixture.emu.faults.add("resource", { status: 503, times: Infinity });
      const r = await cli(["call", fixture.emu.resourceUrl, "--resource", resource, ...emulatorFlags()]);
      assertExit(r, 1);
      assertOneErrorLine(r, "resource_request_failed");
      assert.match(r.stderr, /HTTP 503/);
      assert.equal(r.stdout, "");
    });
  });

  describe("inspect", () => {
    it("shows the cnf x5t#S256 and the expiry of a real token, from an argument or stdin", async () => {
      const got = await cli(["token", "--resource", resource, "--json", "--show-token", ...emulatorFlags()]);
      assertExit(got, 0);
      const { accessToken, bindingCertificate } = JSON.parse(got.stdout);

      const r = await cli(["inspect", accessToken]);
      assertExit(r, 0);
      assert.match(r.stdout, new RegExp(`cnf x5t#S256 ${bindingCertificate.x5tS256}`));
      assert.match(r.stdout, /expires\s+\S+ \(expires in 59 min\)\n/);
      assert.match(r.stdout, /issued at\s+\S+ \(\d+ s ago\)\n/);
      assert.match(r.stdout, new RegExp(`audience\\s+${resource.replace(/[.]/g, "\\.")}\\n`));
      assert.match(r.stdout, new RegExp(`app id\\s+${fixture.emu.identities.systemAssigned!.clientId}\\n`));
      assert.match(r.stdout, /NOT verified/);
      assert.ok(!r.stdout.includes(accessToken), "inspect does not echo the token");

      const json = await cli(["inspect", "-", "--json"], {}, `mtls_pop ${accessToken}\n`);
      assertExit(json, 0);
      const inspection = JSON.parse(json.stdout);
      assert.equal(inspection.x5tS256, bindingCertificate.x5tS256);
      assert.deepEqual(inspection.cnf, { "x5t#S256": bindingCertificate.x5tS256 });
      assert.equal(inspection.expired, false);
      assert.equal(inspection.audience, resource);
      assert.equal(inspection.verified, false);
      assert.equal(inspection.header.alg, "RS256");
    });

    it("an expired token reads 'expired ... ago'", async () => {
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64({ alg: "RS256", typ: "JWT" })}.${
        b64({ exp: now - 3 * 3600 - 60, iat: now - 4 * 3600, aud: "https://x" })
      }.c2ln`;
      const r = await cli(["inspect", token]);
      assertExit(r, 0);
      assert.match(r.stdout, /\(expired 3 h ago\)/);
      assert.match(r.stdout, /binding\s+none/);
    });
  });

  describe("errors", () => {
    it("an unknown flag: exit 2, one line", async () => {
      const r = await cli(["token", "--resource", resource, "--bogus"]);
      assertExit(r, 2);
      assertOneErrorLine(r, "usage_error");
      assert.match(r.stderr, /unknown option --bogus/);
    });

    it("a missing --resource: exit 2, one line", async () => {
      const r = await cli(["token", ...emulatorFlags()]);
      assertExit(r, 2);
      assertOneErrorLine(r, "usage_error");
      assert.match(r.stderr, /--resource is required/);
      assert.equal(fixture.emu.requests.length, 0, "nothing was sent");
    });

    it("a bad token for inspect: exit 2, one line", async () => {
      const r = await cli(["inspect", "not.a-jwt"]);
      assertExit(r, 2);
      assertOneErrorLine(r, "malformed_token");
    });

    it("a missing file and an unknown command: exit 2, one line", async () => {
      const r = await cli(["token", "--resource", resource, "--ca-file", join(dir.path, "nope.pem")]);
      assertExit(r, 2);
      assertOneErrorLine(r, "file_not_found");
      const unknown = await cli(["tokne"]);
      assertExit(unknown, 2);
      assertOneErrorLine(unknown, "usage_error");
    });

    it("no command at all: exit 2, one line", async () => {
      const r = await cli([]);
      assertExit(r, 2);
      assertOneErrorLine(r, "usage_error");
    });

    it("two identities at once: exit 2", async () => {
      const r = await cli([
        "token",
        "--resource",
        resource,
        "--client-id",
        "a",
        "--object-id",
        "b",
        ...emulatorFlags(),
      ]);
      assertExit(r, 2);
      assertOneErrorLine(r, "usage_error");
    });

    it("a service error (the STS refuses the resource): exit 1, one line; --verbose adds the details", async () => {
      fixture.emu.faults.add("token", { error: "invalid_resource", times: Infinity });
      const r = await cli(["token", "--resource", resource, ...emulatorFlags()]);
      assertExit(r, 1);
      assertOneErrorLine(r, "invalid_resource");

      const verbose = await cli(["token", "--resource", resource, "--verbose", ...emulatorFlags()]);
      assertExit(verbose, 1);
      assert.match(verbose.stderr, /^mtls-pop: invalid_resource: /m);
      assert.match(verbose.stderr, /^ {2}status: 400$/m);
      assert.match(verbose.stderr, /^ {2}correlation id: [0-9a-f-]{36}$/m);
      assert.match(verbose.stderr, /^ {2}error codes: \d+/m);
    });

    it("an unknown resource: exit 1", async () => {
      const r = await cli(["token", "--resource", "https://unknown.example.com", ...emulatorFlags()]);
      assertExit(r, 1);
      assertOneErrorLine(r, "invalid_resource");
    });
  });

  describe("emulator", () => {
    it("prints endpoints and exports that work, and on SIGINT stops, removes its files and exits 0", async () => {
      const server = startScript(CLI, { args: ["emulator"] });
      try {
        const printed = await server.waitForStdout(/^Ready\. Press Ctrl-C to stop\.$/m, 60_000);
        const exports = Object.fromEntries(
          [...printed.matchAll(/^ {2}export ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
        );
        assert.deepEqual(Object.keys(exports).sort(), [
          "AZURE_POD_IDENTITY_AUTHORITY_HOST",
          "MTLS_POP_CA_FILE",
          "MTLS_POP_MTLS_ENDPOINT",
        ]);
        const resourceUrl = /^ {2}resource\s+(\S+)$/m.exec(printed)![1]!;
        const ccCommand = /^ {2}mtls-pop (cc-token .+)$/m.exec(printed)![1]!.split(" ");
        const keyFile = ccCommand[ccCommand.indexOf("--key") + 1]!;
        const certFile = ccCommand[ccCommand.indexOf("--cert") + 1]!;
        const caFileOfServer = exports.MTLS_POP_CA_FILE!;
        for (const file of [keyFile, certFile, caFileOfServer]) assert.ok(existsSync(file), file);
        assert.equal(statSync(keyFile).mode & 0o777, 0o600, "the private key file is readable by its owner only");
        assert.doesNotMatch(printed, /PRIVATE KEY/);

        // Managed identity and confidential client, configured only by what the emulator printed.
        const mi = await cli(["call", resourceUrl, "--resource", new URL(resourceUrl).origin], exports);
        assertExit(mi, 0);
        assert.equal(JSON.parse(mi.stdout).ok, true);
        const cc = await cli([...ccCommand, "--json"], exports);
        assertExit(cc, 0);
        assert.equal(JSON.parse(cc.stdout).tokenType, "mtls_pop");

        // process.kill rather than child.kill: a Deno parent reports a child it
        // signalled with child.kill as killed by that signal, even when the child
        // handled it and exited 0; the exit status is what this test is about.
        process.kill(server.child.pid!, "SIGINT");
        const { code, signal } = await server.exited;
        assert.equal(signal, null, server.stderr());
        assert.equal(code, 0, server.stderr());
        for (const file of [keyFile, certFile, caFileOfServer]) {
          assert.equal(existsSync(file), false, `${file} removed`);
        }
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
      }
    });

    it("a bad port is a usage error", async () => {
      const r = await cli(["emulator", "--port-imds", "70000"]);
      assertExit(r, 2);
      assertOneErrorLine(r, "usage_error");
    });
  });
});
