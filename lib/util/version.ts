/** The name and version of this tool, written into every session's start event. */
export const VERSION = "0.1.0";
/** The tool's name. */
export const NAME = "mcp-audit";
