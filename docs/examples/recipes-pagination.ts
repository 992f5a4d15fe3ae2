// docs/recipes.md, "Pagination": every fenced block of that section is copied from here.
import { createClient } from 'nostale';
import { useFetch } from 'nostale/react';

// #region pages
// Routes match the path: every page of /api/articles?page=N is its own entry, all in one scope.
const client = createClient({
  routes: [{ match: '/api/articles', scope: 'articles', versionUrl: '/api/articles/version' }],
});

interface Page<T> {
  results: T[];
  next: string | null; // Django REST framework's PageNumberPagination
}
interface Article {
  id: number;
  title: string;
}

const first = await client.get<Page<Article>>('/api/articles?page=1');
// Warm the next page while the user reads this one (never rejects).
if (first.next) void client.prefetch([first.next]);
// A new article shifts every page: one O(1) invalidation covers them all.
await client.invalidate({ scope: 'articles' });
// #endregion pages

// #region infinite
/** Every page up to `count`, read through the cache (pages already read answer from memory). */
export async function loadPages(count: number): Promise<Article[]> {
  const pages = await Promise.all(Array.from({ length: count }, (_, i) => client.get<Page<Article>>(`/api/articles?page=${i + 1}`)));
  return pages.flatMap((page) => page.results);
}
// #endregion infinite

// #region react
export function useArticles(page: number) {
  // Each page is its own cache entry; going back to page 1 renders from the cache at once.
  return useFetch<Page<Article>>(`/api/articles?page=${page}`, { client });
}
// #endregion react
