/** `deno task schema`: writes the JSON Schemas in schema/ from the zod schemas. */
import { configJsonSchema, eventJsonSchema } from "./json_schema.ts";

if (import.meta.main) {
  const dir = new URL("../../schema/", import.meta.url);
  const write = (name: string, schema: unknown): Promise<void> =>
    Deno.writeTextFile(
      new URL(name, dir),
      JSON.stringify(schema, null, 2) + "\n",
    );
  await write("event.schema.json", eventJsonSchema());
  await write("config.schema.json", configJsonSchema());
}
