import { z } from "zod";

/** `?limit=&cursor=` of every list (README "Concepts"). A cursor is the sort key of the last item of the previous page. */
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export function listResponse<Item extends z.ZodType>(item: Item) {
  return z.object({ data: z.array(item), hasMore: z.boolean(), nextCursor: z.string().nullable() });
}

/** Given up to `limit + 1` rows in list order, builds the page. */
export function toPage<Row>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => string = (row) => (row as { id: string }).id,
) {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  const hasMore = rows.length > limit;
  return { data, hasMore, nextCursor: hasMore && last !== undefined ? cursorOf(last) : null };
}
