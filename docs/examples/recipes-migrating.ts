// docs/recipes.md, "Migrating from TanStack Query and SWR": every fenced block of that section is
// copied from here.
import { createClient } from 'nostale';
import { removeItem, withMutations } from 'nostale/mutate';
import { useFetch, useMutation } from 'nostale/react';

interface Todo {
  id: number;
  title: string;
}

// #region routes
// queryKey ['todos', user] becomes the URL, plus a scope that groups the URLs one write changes.
export const client = withMutations(
  createClient({
    routes: [{ match: '/api/users/:user/todos*', scope: 'todos:{user}', versionUrl: '/api/users/{user}/todos/version' }],
  }),
);
// #endregion routes

// #region query
// useQuery({ queryKey: ['todos', user], queryFn, enabled: !!user })
export function useTodos(user: string | null) {
  return useFetch<Todo[]>(user ? `/api/users/${user}/todos` : null); // null: enabled: false
}
// #endregion query

// #region invalidate
// queryClient.invalidateQueries({ queryKey: ['todos', user] })
export const todosChanged = (user: string) => client.invalidate({ scope: `todos:${user}` });
// #endregion invalidate

// #region mutation
// useMutation({ mutationFn, onMutate: setQueryData(...), onError: rollback, onSettled: invalidateQueries(...) })
export function useDeleteTodo(user: string) {
  const { mutate, isPending, error } = useMutation(client);
  const remove = (id: number) =>
    mutate({
      scope: `todos:${user}`,
      request: { url: `/api/users/${user}/todos/${id}`, method: 'DELETE' },
      optimistic: removeItem(id), // undone by itself if the request fails
    });
  return { remove, isPending, error };
}
// #endregion mutation

// #region swr
// const { data, error, isLoading, isValidating, mutate } = useSWR(`/api/users/${user}/todos`, fetcher)
export function useTodosLikeSwr(user: string) {
  const { data, error, isLoading, isValidating, refetch } = useFetch<Todo[]>(`/api/users/${user}/todos`, { client });
  return { data, error, isLoading, isValidating, revalidate: refetch };
}
// mutate(`/api/users/${user}/todos`): drop that URL's entry; its views read it again.
export const swrMutateKey = (user: string) => client.invalidate({ url: `/api/users/${user}/todos` });
// #endregion swr
