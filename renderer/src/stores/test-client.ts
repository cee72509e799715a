import { ClientError, type ApiClient } from '../api/client.ts';
import type { RouteName } from '../../../contract/index.ts';

type Answer = (body: unknown) => unknown;

/**
 * An ApiClient for slice tests: answers from a table and records every call. The real clients
 * (bridge and HTTP) are exercised end to end in test/desktop and test/e2e.
 */
export function tableClient(answers: Partial<Record<RouteName, Answer>>) {
  const calls: Array<{ name: RouteName; body: unknown }> = [];
  const client: ApiClient = {
    async call(name, body) {
      calls.push({ name, body });
      const answer = answers[name];
      if (!answer) throw new ClientError(`no such endpoint: ${name}`, 404);
      return answer(body) as never;
    },
  };
  return { client, calls };
}

export const refuse = (message: string, status: number, field?: string) => () => {
  throw new ClientError(message, status, field);
};
