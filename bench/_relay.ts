/**
 * The ceiling for any proxy written on Deno's streams: a relay that does
 * nothing but pass bytes between its stdin/stdout and a child's, the way
 * `lib/proxy/proxy.ts` does, with no audit at all. The proxy bench runs it next
 * to `cat` so the 1 MB figure can be read against what Deno's pipes allow.
 *
 *     deno run --allow-run bench/_relay.ts -- <command> [args...]
 *
 * @module
 */

const at = Deno.args.indexOf("--");
const [command, ...args] = Deno.args.slice(at + 1);
const child = new Deno.Command(command, {
  args,
  stdin: "piped",
  stdout: "piped",
}).spawn();
const toChild = child.stdin.getWriter();
const c2s = (async () => {
  const reader = Deno.stdin.readable.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    await toChild.write(value);
  }
  await toChild.close();
})();
const out = Deno.stdout.writable.getWriter();
const reader = child.stdout.getReader();
while (true) {
  const { value, done } = await reader.read();
  if (done) break;
  await out.write(value);
}
await c2s;
Deno.exit((await child.status).code);
