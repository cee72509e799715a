import { ApiCallPayload, IpcResult, describeIssue, type PhantomBridge } from '../../contract/index.ts';

/**
 * `window.phantom`: checks the payload against the contract before it leaves the page and unwraps
 * main's envelope. A failure is thrown as a plain object (not an Error) so it crosses the context
 * bridge with its status and field intact.
 */
export function createBridge(invoke: (payload: ApiCallPayload) => Promise<unknown>): PhantomBridge {
  return {
    async call(payload) {
      const checked = ApiCallPayload.safeParse(payload);
      if (!checked.success) {
        const { message, field } = describeIssue(checked.error);
        throw { message, status: 400, field };
      }
      const result = IpcResult.parse(await invoke(checked.data));
      if (!result.ok) throw { ...result.error };
      return result.data;
    },
  };
}
