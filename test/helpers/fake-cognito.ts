import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CognitoCall {
  operation: string;
  body: Record<string, unknown>;
  authorization: string;
}

/**
 * A stand-in for the Cognito Identity Provider API on 127.0.0.1, speaking its AWS JSON 1.1 protocol
 * (`X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`). It keeps groups and memberships, records
 * every call, and fails the operations listed in `failing` with InternalErrorException.
 */
export async function startFakeCognito() {
  const calls: CognitoCall[] = [];
  const groups = new Set<string>();
  const memberships = new Set<string>();
  const failing = new Set<string>();

  const server = http.createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      const target = String(request.headers["x-amz-target"] ?? "");
      const operation = target.replace("AWSCognitoIdentityProviderService.", "");
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      calls.push({ operation, body, authorization: String(request.headers.authorization ?? "") });
      const reply = (status: number, payload: unknown, errorType?: string) => {
        response.writeHead(status, {
          "content-type": "application/x-amz-json-1.1",
          ...(errorType ? { "x-amzn-errortype": errorType } : {}),
        });
        response.end(JSON.stringify(payload));
      };
      const fail = (status: number, type: string, message: string) =>
        reply(status, { __type: type, message }, type);

      if (failing.has(operation)) return fail(500, "InternalErrorException", "injected failure");
      const group = String(body.GroupName ?? "");
      const member = `${group}/${String(body.Username ?? "")}`;
      switch (operation) {
        case "CreateGroup":
          if (groups.has(group))
            return fail(400, "GroupExistsException", "A group with the name already exists.");
          groups.add(group);
          return reply(200, {
            Group: { GroupName: group, UserPoolId: body.UserPoolId, Description: body.Description },
          });
        case "DeleteGroup":
          if (!groups.delete(group))
            return fail(400, "ResourceNotFoundException", "Group not found.");
          for (const entry of [...memberships])
            if (entry.startsWith(`${group}/`)) memberships.delete(entry);
          return reply(200, {});
        case "AdminAddUserToGroup":
          if (!groups.has(group)) return fail(400, "ResourceNotFoundException", "Group not found.");
          memberships.add(member);
          return reply(200, {});
        case "AdminRemoveUserFromGroup":
          memberships.delete(member);
          return reply(200, {});
        default:
          return fail(400, "InvalidParameterException", `Unsupported operation ${operation}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    groups,
    memberships,
    failing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
