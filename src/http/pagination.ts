import { z } from "zod";

/** `?limit=&cursor=` of API.md lists. Cursors are the id of the last item of the previous page. */
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export function listResponse<Item extends z.ZodType>(item: Item) {
  return z.object({ data: z.array(item), hasMore: z.boolean(), nextCursor: z.string().nullable() });
}

/** Given `limit + 1` rows ordered by id, builds the page. */
export function toPage<Row extends { id: string }>(rows: Row[], limit: number) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { data, hasMore, nextCursor: hasMore ? (data.at(-1)?.id ?? null) : null };
}
