/** `deno task schema`: writes the JSON Schemas in schema/ from the zod schemas. */
import { eventJsonSchema } from "./json_schema.ts";

if (import.meta.main) {
  const dir = new URL("../schema/", import.meta.url);
  await Deno.writeTextFile(
    new URL("event.schema.json", dir),
    JSON.stringify(eventJsonSchema(), null, 2) + "\n",
  );
}
