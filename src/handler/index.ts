// Placeholder entry; the real handler replaces it.
export const handler = async (event: unknown): Promise<unknown> => ({ ok: true, event });
