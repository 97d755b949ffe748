import assert from "node:assert/strict";
import { readShellCommand } from "../../lib/hooks/shell_command.ts";

function destructive(line: string): boolean {
  return readShellCommand(line).classes.includes("DESTRUCTIVE");
}

Deno.test("destructive commands are found in pipes, && chains, sh -c strings, substitutions and heredocs", () => {
  for (
    const line of [
      "rm -rf /srv/app",
      "cd /srv && rm -r -f app",
      "sudo -u deploy rm -fr /srv/app",
      "echo start; git push --force origin main",
      "git push origin +main",
      "kubectl delete deployment web | tee out.txt",
      "terraform destroy -auto-approve",
      "terraform apply -destroy",
      "sh -c 'psql -h db -c \"DROP DATABASE prod\"'",
      "bash -lc \"mysql -e 'DROP TABLE users'\"",
      "echo $(rm -rf /tmp/cache)",
      "psql <<SQL\nSELECT 1;\nDROP DATABASE prod;\nSQL",
      "bash <<'SH'\nrm -rf /var/lib/app\nSH",
      "cat x | sh -c \"sh -c 'rm -rf /'\"",
      "mysql --execute='TRUNCATE orders'",
      "psql -c 'DELETE FROM users'",
    ]
  ) assert.ok(destructive(line), line);
});

Deno.test("harmless commands and SQL words in strings or comments are not destructive", () => {
  for (
    const line of [
      "ls -la | grep DROP",
      "echo 'rm -rf /'",
      "git push origin main",
      "kubectl get pods",
      "terraform plan",
      "rm notes.txt",
      "mysql -e \"SELECT 'DROP TABLE x' -- DROP\"",
      "psql -c 'DELETE FROM users WHERE id = 1'",
    ]
  ) assert.ok(!destructive(line), line);
  assert.deepEqual(readShellCommand("rm notes.txt").classes, ["WRITE"]);
});

Deno.test("commands carry their paths and hosts, and an unparsable line says so", () => {
  const r = readShellCommand(
    "curl -s https://api.example.com/x && rm -rf /srv/app",
  );
  assert.deepEqual(r.hosts, ["api.example.com"]);
  assert.deepEqual(r.paths, ["/srv/app"]);
  assert.ok(r.classes.includes("OPEN_WORLD"));
  assert.match(
    readShellCommand("echo 'unclosed").parseError ?? "",
    /could not be parsed/,
  );
});
