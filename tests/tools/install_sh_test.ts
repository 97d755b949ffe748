/**
 * install.sh has no default repository (it cannot know which page it was
 * downloaded from): with none named it says what to set and installs nothing.
 * The download and checksum paths are tested in tests/bundle_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ROOT, run, userEnv } from "./_checkout.ts";
import { tempDir } from "../_helpers.ts";

Deno.test({
  name:
    "install.sh with neither MCP_AUDIT_REPO nor MCP_AUDIT_BASE_URL names both, exits 1 and installs nothing",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const env = await userEnv(dir.path, {
      MCP_AUDIT_INSTALL_DIR: `${dir.path}/bin`,
    });
    const { code, stderr } = await run("sh", [`${ROOT}install.sh`], { env });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^mcp-audit install: no release to download from: set MCP_AUDIT_REPO to the GitHub owner\/name .*, or MCP_AUDIT_BASE_URL to a URL or directory holding the release files\.\n$/,
    );
    await assert.rejects(Deno.stat(`${dir.path}/bin`), Deno.errors.NotFound);
  },
});
